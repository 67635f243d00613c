//! What one matcher batch will commit, gathered while its commands run on the core.

use std::collections::{BTreeMap, BTreeSet};

use store::fills::FillRecord;
use store::matching::OrderProgress;
use store::trades::TradePrint;
use types::{MarketKey, OrderHash, Price, Side, Size, Timestamp};

use crate::core::BookSide;
use crate::feed::{BookDelta, MarketBatch, TradeEvent, UserEvent};
use crate::ledger::Move;

/// The rows, ledger moves and events of one batch, in the order they happened.
pub(crate) struct Batch {
    pub market: MarketKey,
    /// The seq this batch commits: the market's last one plus one.
    pub seq: u64,
    pub now: Timestamp,
    /// Each order's state at the end of the batch.
    pub progress: BTreeMap<OrderHash, OrderProgress>,
    pub fills: Vec<FillRecord>,
    pub trades: Vec<TradePrint>,
    pub moves: Vec<Move>,
    /// Each level's total at the end of the batch.
    pub levels: BTreeMap<(BookSideKey, Price), Size>,
    pub user_events: Vec<UserEvent>,
    /// Orders with a trade the settlement refused: they end `MATCH_FAILED`.
    pub failed: BTreeSet<OrderHash>,
    /// The YES price of the batch's last trade.
    pub last_price: Option<Price>,
    next_n: u32,
}

/// `BookSide` in an order a map can keep: bids, then asks.
pub(crate) type BookSideKey = u8;

pub(crate) fn side_key(side: BookSide) -> BookSideKey {
    match side {
        BookSide::Bid => 0,
        BookSide::Ask => 1,
    }
}

impl Batch {
    pub fn new(market: MarketKey, seq: u64, now: Timestamp) -> Batch {
        Batch {
            market,
            seq,
            now,
            progress: BTreeMap::new(),
            fills: Vec::new(),
            trades: Vec::new(),
            moves: Vec::new(),
            levels: BTreeMap::new(),
            user_events: Vec::new(),
            failed: BTreeSet::new(),
            last_price: None,
            next_n: 0,
        }
    }

    /// True when the batch changed nothing and told no one anything: no transaction needed.
    pub fn is_empty(&self) -> bool {
        self.progress.is_empty() && self.user_events.is_empty() && self.levels.is_empty()
    }

    /// The next place in the batch, for a derived id.
    pub fn next_n(&mut self) -> u32 {
        let n = self.next_n;
        self.next_n += 1;
        n
    }

    /// What subscribers are told once the batch has committed.
    pub fn published(&self) -> MarketBatch {
        MarketBatch {
            market: self.market,
            seq: self.seq,
            timestamp: self.now,
            deltas: self
                .levels
                .iter()
                .map(|(&(side, price), &size)| BookDelta {
                    side: if side == 0 { Side::Buy } else { Side::Sell },
                    price,
                    size,
                })
                .collect(),
            trades: self
                .trades
                .iter()
                .map(|t| TradeEvent {
                    trade_id: t.trade_id.clone(),
                    price: t.price,
                    size: t.size,
                    side: t.taker_side,
                    timestamp: t.created_at,
                })
                .collect(),
            user_events: self.user_events.clone(),
        }
    }
}
