//! The JSON the order routes answer with (API.md 5.2), built from stored orders.

use serde::Serialize;
use store::orders::OrderRecord;
use types::{
    ChainId, ConditionId, ContractAddress, OrderHash, OrderStatus, OrderType, Outcome, Side, Size,
    Ticks, Timestamp, TokenId,
};

use crate::error::InlineError;

/// An order as `GET /v1/orders` and `GET /v1/orders/{order_hash}` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderView {
    pub order_hash: OrderHash,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub side: Side,
    pub outcome: Outcome,
    pub order_type: OrderType,
    pub price: Ticks,
    pub size: Size,
    pub remaining_size: Size,
    pub status: OrderStatus,
    pub token_id: TokenId,
    pub fee_rate_bps: u32,
    /// Unix seconds as a decimal string, `"0"` = none (a uint256 on the wire).
    pub expiration: String,
    pub book_added_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<&OrderRecord> for OrderView {
    fn from(o: &OrderRecord) -> OrderView {
        OrderView {
            order_hash: o.order_hash,
            condition_id: o.condition_id,
            chain_id: o.chain_id,
            side: o.side,
            outcome: o.outcome,
            order_type: o.order_type,
            price: o.price,
            size: o.size,
            remaining_size: o.remaining,
            status: o.status,
            token_id: o.token_id,
            fee_rate_bps: o.fee_rate_bps,
            expiration: o.expiration.to_string(),
            book_added_at: o.book_added_at,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// One accepted item of `POST /v1/orders`: always `OPEN`, nothing filled yet (matching is
/// asynchronous), not yet on the book (`book_added_at` null until the engine adds it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AcceptedView {
    pub order_hash: OrderHash,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub status: OrderStatus,
    pub price: Ticks,
    pub size: Size,
    pub remaining_size: Size,
    /// Always empty at acceptance.
    pub fills: Vec<serde_json::Value>,
    pub book_added_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl From<&OrderRecord> for AcceptedView {
    fn from(o: &OrderRecord) -> AcceptedView {
        AcceptedView {
            order_hash: o.order_hash,
            condition_id: o.condition_id,
            chain_id: o.chain_id,
            status: o.status,
            price: o.price,
            size: o.size,
            remaining_size: o.remaining,
            fills: Vec::new(),
            book_added_at: o.book_added_at,
            created_at: o.created_at,
        }
    }
}

/// One item's result in a batch: the accepted order, or `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OrderResult {
    Accepted(AcceptedView),
    Refused { error: InlineError },
}

impl OrderResult {
    pub fn accepted(&self) -> Option<&AcceptedView> {
        match self {
            OrderResult::Accepted(a) => Some(a),
            OrderResult::Refused { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&InlineError> {
        match self {
            OrderResult::Accepted(_) => None,
            OrderResult::Refused { error } => Some(error),
        }
    }
}

/// The body of `POST /v1/orders` (200). A replay is the stored text of this, to which the
/// HTTP layer adds `"_idempotent_replayed": true`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlaceResponse {
    pub results: Vec<OrderResult>,
}

/// A page of `GET /v1/orders`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrdersPage {
    pub data: Vec<OrderView>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// The body of `POST /v1/orders/cancel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CancelResponse {
    pub cancelled_count: usize,
    pub order_hashes: Vec<OrderHash>,
}

/// The body of `POST /v1/orders/{order_hash}/cancel-onchain`: the transaction the wallet sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnchainCancelView {
    pub order_hash: OrderHash,
    pub chain_id: ChainId,
    /// The market's CTF exchange.
    pub to: ContractAddress,
    /// `0x` + the ABI-encoded `cancelOrder(Order)` call.
    pub data: String,
}
