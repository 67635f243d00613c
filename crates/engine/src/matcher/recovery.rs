//! Building a matcher from the database: at start-up, and after a batch failed.
//!
//! Nothing half-applied can be stored (a batch is one transaction), so the database holds each
//! market as its last committed batch left it: the resting orders with the priority the core
//! gave them, the orders not processed yet, the sequence. The book is restored in that
//! priority, never by creation time; the orders not processed yet are taken next, in acceptance
//! order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

use market_data::{BookLevel, BookState};
use store::markets::MarketRecord;
use store::matching::LiveOrder;
use store::orders::OrderRecord;
use tokio::sync::mpsc;
use types::{MarketKey, OrderType, Price, Wallet};

use super::{Matcher, Request, Shared, Terms, Tracked, Trading};
use crate::core::{BookSide, Market, SavedOrder, Scale};
use crate::handle::EngineError;

/// A market as the database holds it.
pub(crate) struct Loaded {
    pub core: Market,
    pub orders: HashMap<types::OrderHash, Tracked>,
    pub expiries: BinaryHeap<Reverse<(i64, types::OrderHash)>>,
    /// Live orders the matcher has not processed yet, in acceptance order.
    pub pending: Vec<OrderRecord>,
}

/// The scale of a market's tokens: both outcomes share the signed amounts' base units.
pub(crate) fn scale_of(market: &MarketRecord) -> Result<Scale, EngineError> {
    if market.yes.decimals != market.no.decimals {
        return Err(EngineError::Market(format!(
            "its outcome tokens have {} and {} decimals",
            market.yes.decimals, market.no.decimals
        )));
    }
    Scale::new(market.yes.decimals).ok_or_else(|| {
        EngineError::Market(format!(
            "its tokens have {} decimals, outside {:?}",
            market.yes.decimals,
            Scale::DECIMALS
        ))
    })
}

pub(crate) fn terms_of(market: &MarketRecord) -> Terms {
    let key = MarketKey {
        condition_id: market.condition_id,
        chain_id: market.chain_id,
    };
    Terms {
        market: key,
        label: format!("{} on chain {}", market.condition_id, market.chain_id.0),
        escrow: Wallet(market.conditional_tokens_address.address()),
    }
}

/// The book and the tracked orders from a market's live orders.
pub(crate) fn load(scale: Scale, label: &str, live: Vec<LiveOrder>) -> Loaded {
    let mut pending = Vec::new();
    let mut saved = Vec::new();
    let mut orders = HashMap::new();
    let mut expiries = BinaryHeap::new();
    for l in live {
        let Some(priority) = l.book_priority else {
            pending.push(l.record);
            continue;
        };
        let mut tracked = Tracked::new(l.record);
        tracked.notional = l.filled_notional;
        tracked.priority = Some(priority);
        saved.push(SavedOrder {
            order: tracked.new_order(),
            filled: tracked.filled,
            notional: tracked.notional,
            priority,
        });
        if tracked.record.order_type == OrderType::Gtd {
            if let Some(at) = tracked.expires_at() {
                expiries.push(Reverse((at, tracked.record.order_hash)));
            }
        }
        orders.insert(tracked.record.order_hash, tracked);
    }
    let (core, refused) = Market::restore(scale, saved);
    for e in refused {
        // Left live in the database and off the book: an operator must look at it.
        tracing::error!(market = %label, error = %e, "a stored resting order was not restored");
    }
    orders.retain(|hash, _| core.book().contains(hash));
    Loaded {
        core,
        orders,
        expiries,
        pending,
    }
}

/// What the views show of a book.
pub(crate) fn book_state(core: &Market, seq: u64, last_price: Option<Price>) -> BookState {
    let levels = |side| {
        core.book()
            .depth(side)
            .map(|(price, size)| BookLevel { price, size })
            .collect()
    };
    BookState {
        seq,
        bids: levels(BookSide::Bid),
        asks: levels(BookSide::Ask),
        last_price,
    }
}

impl Matcher {
    /// A matcher from what was loaded; returns it and the orders it must take first.
    pub(crate) fn new(
        market: &MarketRecord,
        loaded: Loaded,
        seq: u64,
        last_price: Option<Price>,
        shared: Shared,
        rx: mpsc::Receiver<Request>,
    ) -> (Matcher, Vec<OrderRecord>) {
        let terms = terms_of(market);
        let loaded_pending = loaded.pending.iter().map(|r| r.order_hash).collect();
        let matcher = Matcher {
            terms,
            status: Trading(market.status),
            core: loaded.core,
            orders: loaded.orders,
            deferred: VecDeque::new(),
            expiries: loaded.expiries,
            seq,
            last_price,
            loaded_pending,
            needs_reload: false,
            isolating: false,
            quarantined: HashSet::new(),
            shared,
            rx,
        };
        matcher.shared.views.publish(
            matcher.terms.market,
            book_state(&matcher.core, seq, last_price),
        );
        (matcher, loaded.pending)
    }

    /// Rebuilds the market from the database after a failed batch, retrying while the
    /// database is out of reach, then takes the orders not processed yet; again while that
    /// fails. False when the gateway is shutting down.
    pub(super) async fn reload(&mut self) -> bool {
        while self.needs_reload {
            match self.try_reload().await {
                Ok(pending) => {
                    self.needs_reload = false;
                    self.take_pending(pending).await;
                }
                Err(EngineError::Stopped) => return false,
                Err(e) => {
                    tracing::warn!(market = %self.terms.label, error = %e, "rebuilding the market failed; retrying");
                    tokio::time::sleep(super::RELOAD_RETRY).await;
                }
            }
        }
        true
    }

    async fn try_reload(&mut self) -> Result<Vec<OrderRecord>, EngineError> {
        let store = &self.shared.store;
        let key = self.terms.market;
        let market = store
            .market(&key.condition_id, key.chain_id)
            .await?
            .ok_or_else(|| EngineError::Market("it is no longer stored".into()))?;
        let seq = store
            .market_seq(&key)
            .await?
            .ok_or_else(|| EngineError::Market("it is no longer stored".into()))?;
        let live = store.live_orders(Some(&key)).await?;
        let last_price = last_price(store, &key).await?;
        let loaded = load(self.core.scale(), &self.terms.label, live);
        self.status = Trading(market.status);
        self.core = loaded.core;
        self.orders = loaded.orders;
        self.expiries = loaded.expiries;
        self.deferred.clear();
        self.seq = seq;
        self.last_price = last_price;
        self.loaded_pending = loaded.pending.iter().map(|r| r.order_hash).collect();
        self.shared
            .views
            .publish(key, book_state(&self.core, seq, last_price));
        Ok(loaded.pending)
    }
}

/// The YES price of the market's last trade.
pub(crate) async fn last_price(
    store: &store::Store,
    market: &MarketKey,
) -> Result<Option<Price>, EngineError> {
    let last = store
        .trades_page(&market.condition_id, market.chain_id, None, 1)
        .await?;
    Ok(last.first().map(|t| t.price))
}
