//! What one committed matcher batch published: the interface the WebSocket layer follows.
//!
//! The same [`MarketBatch`] is written, as JSON, to `market_events` in the batch's own
//! transaction (the table is the truth) and, once the transaction has committed, sent to
//! in-process subscribers ([`crate::Engine::subscribe`]). Every batch that changed anything
//! has the market's next `seq`, so a subscriber that sees a gap reads the missing batches from
//! the table.

use serde::Serialize;
use types::{
    MarketKey, OrderHash, OrderStatus, Outcome, Price, Side, Size, Timestamp, Wallet, Wei,
};

/// One batch of one market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MarketBatch {
    #[serde(skip)]
    pub market: MarketKey,
    pub seq: u64,
    pub timestamp: Timestamp,
    /// Every book level the batch changed, in YES terms, with its new total (`"0"`: gone).
    pub deltas: Vec<BookDelta>,
    /// Public trade prints, in YES terms.
    pub trades: Vec<TradeEvent>,
    /// Each wallet's events, in lifecycle order for each order.
    pub user_events: Vec<UserEvent>,
}

/// A level's new total. `side` is `BUY` for a bid and `SELL` for an ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BookDelta {
    pub side: Side,
    pub price: Price,
    pub size: Size,
}

/// A public trade print.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TradeEvent {
    pub trade_id: String,
    /// YES terms.
    pub price: Price,
    pub size: Size,
    /// The taker's side, YES terms.
    pub side: Side,
    pub timestamp: Timestamp,
}

/// An event for one wallet's `user` channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserEvent {
    pub wallet: Wallet,
    pub event: UserEventKind,
}

/// The events of docs/api.md 8 (`user` channel), each naming its order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserEventKind {
    /// The matcher took the order (its first event).
    OrderOpened(OrderEvent),
    OrderPartiallyFilled(OrderEvent),
    /// Filled in full, settlement pending.
    OrderMatched(OrderEvent),
    /// Settled.
    OrderFilled(OrderEvent),
    OrderCancelled(OrderEvent),
    OrderExpired(OrderEvent),
    OrderMatchFailed(OrderEvent),
    Fill(FillEvent),
    /// The settlement of one of the wallet's fills.
    Settlement(SettlementEvent),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderEvent {
    pub order_hash: OrderHash,
    pub status: OrderStatus,
    pub side: Side,
    pub outcome: Outcome,
    pub price: Price,
    pub size: Size,
    pub remaining_size: Size,
    /// Why it left the book unfilled: `requested`, `self_trade`, `market_remainder`,
    /// `expired`, `market_closed`, `match_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FillEvent {
    pub fill_id: String,
    pub trade_id: String,
    pub order_hash: OrderHash,
    pub side: Side,
    pub outcome: Outcome,
    /// The execution price in the order's own outcome terms.
    pub price: Price,
    pub size: Size,
    pub fee: Wei,
    pub role: &'static str,
    pub status: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettlementEvent {
    pub fill_id: String,
    pub trade_id: String,
    pub order_hash: OrderHash,
    /// `CONFIRMED` or `FAILED`.
    pub status: &'static str,
}

impl MarketBatch {
    /// The batch as stored in `market_events`.
    pub fn to_json(&self) -> String {
        // Every field serialises infallibly (strings, integers, decimal strings).
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}
