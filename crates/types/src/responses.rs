//! The contract's response bodies of the order routes (docs/api.md 6, "Orders") and its error
//! envelope (docs/api.md 1.4, "Errors"): what the gateway serializes and what the bot client
//! reads back, defined once.
//!
//! Field order is the order on the wire, and the gateway's answers are compared byte for byte
//! by its HTTP tests: a field is added or moved here only with the contract. The gateway renders
//! these from `orders::views`, whose views of a stored order are transparent newtypes over
//! [`OrderView`] and [`AcceptedView`] (so that the conversion from the store's record can live
//! next to the store) and whose batch refusals are `orders::InlineError` (see [`OrderResult`]).
//!
//! Read, not written, by the gateway: [`ErrorEnvelope`] (the gateway writes it from a borrowed
//! struct in its HTTP layer, so that an error answer copies nothing) and [`PlaceOrdersResponse`]
//! (a replay is the stored text with the mark spliced in).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    ChainId, ConditionId, ContractAddress, OrderHash, OrderStatus, OrderType, Outcome, Side, Size,
    Ticks, Timestamp, TokenId,
};

/// `{"status_code", "code", "message", "correlation_id"}`: every non-2xx body.
///
/// `code` is text, not [`crate::ErrorCode`]: a client keeps a code it does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub status_code: u16,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

/// `{"code", "message"}`: one order's refusal inside a batch result (`WALLET_MISMATCH`,
/// `DRIFTED_AMOUNTS`, `INSUFFICIENT_BALANCE`, ...), with the code as text, as a client reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineError {
    pub code: String,
    pub message: String,
}

/// An order as `GET /v1/orders` and `GET /v1/orders/{order_hash}` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// One accepted item of `POST /v1/orders`: always `OPEN`, nothing filled yet (matching is
/// asynchronous), not yet on the book (`book_added_at` null until the engine adds it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedView {
    pub order_hash: OrderHash,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub status: OrderStatus,
    pub price: Ticks,
    pub size: Size,
    pub remaining_size: Size,
    /// Always empty at acceptance.
    #[serde(default)]
    pub fills: Vec<serde_json::Value>,
    pub book_added_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// One item's result in a batch: the accepted order, or `{"error": {"code", "message"}}`.
///
/// Generic only because the gateway fills it with its own types (`orders::views`): a newtype of
/// [`AcceptedView`] and its refusal with the code as [`crate::ErrorCode`]. Both serialize as
/// the defaults do, which are what a client reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrderResult<A = AcceptedView, E = InlineError> {
    Accepted(A),
    Refused { error: E },
}

impl<A, E> OrderResult<A, E> {
    pub fn accepted(&self) -> Option<&A> {
        match self {
            OrderResult::Accepted(a) => Some(a),
            OrderResult::Refused { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&E> {
        match self {
            OrderResult::Accepted(_) => None,
            OrderResult::Refused { error } => Some(error),
        }
    }
}

/// The body of `POST /v1/orders` (200): one result per submitted item, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceResponse<A = AcceptedView, E = InlineError> {
    pub results: Vec<OrderResult<A, E>>,
}

impl<A, E> PlaceResponse<A, E> {
    /// The number of items refused.
    pub fn refused(&self) -> usize {
        self.results.iter().filter(|r| r.error().is_some()).count()
    }
}

/// `POST /v1/orders` as a client reads it: the [`PlaceResponse`] and, when the idempotency key
/// replayed a stored response, `"_idempotent_replayed": true` (its last member).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrdersResponse {
    #[serde(flatten)]
    pub body: PlaceResponse,
    /// True when the idempotency key replayed a stored response.
    #[serde(
        rename = "_idempotent_replayed",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub idempotent_replayed: bool,
}

/// A page of a cursor-paginated list (`GET /v1/orders`, `GET /v1/markets`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// A page of at most `limit` items from `rows`, read with `limit + 1` so that one more row
    /// says whether more follow; the cursor names the last row shown.
    pub fn of<R>(
        mut rows: Vec<R>,
        limit: u32,
        cursor: impl Fn(&R) -> String,
        view: impl Fn(&R) -> T,
    ) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match rows.last() {
            Some(last) if has_more => Some(cursor(last)),
            _ => None,
        };
        Page {
            data: rows.iter().map(view).collect(),
            next_cursor,
            has_more,
        }
    }
}

/// The body of `POST /v1/orders/cancel`: the orders this call actually cancelled, and why each
/// other hash it was given was not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelResponse {
    pub cancelled_count: usize,
    pub order_hashes: Vec<OrderHash>,
    /// Each listed hash not cancelled → `ORDER_NOT_FOUND` (unknown or another wallet's),
    /// `ORDER_ALREADY_FILLED` or `ORDER_ALREADY_CANCELLED`; empty for a filter or `{}`. Text,
    /// not an enum, for the reason of [`ErrorEnvelope::code`]; absent from older gateways.
    #[serde(default)]
    pub not_cancelled: BTreeMap<OrderHash, String>,
}

/// The body of `POST /v1/orders/{order_hash}/cancel-onchain`: the transaction the wallet sends
/// to invalidate the signature on chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnchainCancelView {
    pub order_hash: OrderHash,
    pub chain_id: ChainId,
    /// The market's CTF exchange.
    pub to: ContractAddress,
    /// `0x` + the ABI-encoded `cancelOrder(Order)` call.
    pub data: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_results_are_accepted_orders_or_inline_errors() {
        let hash = format!("0x{}", "0f".repeat(32));
        let cond = format!("0x{}", "ab".repeat(32));
        let body = serde_json::json!({"results": [
            {"order_hash": hash, "condition_id": cond, "chain_id": 56, "status": "OPEN",
             "price": "0.55", "size": "10.00", "remaining_size": "10.00", "fills": [],
             "book_added_at": null, "created_at": "2026-11-23T20:00:00.000Z"},
            {"error": {"code": "DRIFTED_AMOUNTS", "message": "Drifted signed amounts"}}
        ]});
        let resp: PlaceOrdersResponse = serde_json::from_value(body.clone()).unwrap();
        assert!(!resp.idempotent_replayed);
        assert_eq!(resp.body.refused(), 1);
        match &resp.body.results[0] {
            OrderResult::Accepted(o) => {
                assert_eq!(o.order_hash.to_string(), hash);
                assert_eq!(o.price.get(), 55);
                assert_eq!(o.status, OrderStatus::Open);
                assert_eq!(o.created_at.to_string(), "2026-11-23T20:00:00.000Z");
            }
            other => panic!("expected an accepted order, got {other:?}"),
        }
        match &resp.body.results[1] {
            OrderResult::Refused { error } => assert_eq!(error.code, "DRIFTED_AMOUNTS"),
            other => panic!("expected an inline error, got {other:?}"),
        }
        assert_eq!(serde_json::to_value(&resp).unwrap(), body);
        assert_eq!(
            serde_json::to_string(&resp).unwrap(),
            serde_json::to_string(&resp.body).unwrap()
        );

        let replay: PlaceOrdersResponse =
            serde_json::from_str(r#"{"results":[],"_idempotent_replayed":true}"#).unwrap();
        assert!(replay.idempotent_replayed);
        assert!(replay.body.results.is_empty());
    }

    #[test]
    fn an_order_view_reads_back_what_it_writes() {
        let text = format!(
            concat!(
                r#"{{"order_hash":"0x{}","condition_id":"0x{}","chain_id":56,"side":"BUY","#,
                r#""outcome":1,"order_type":"LIMIT","price":"0.55","size":"10.00","#,
                r#""remaining_size":"4.50","status":"PARTIALLY_FILLED","token_id":"123","#,
                r#""fee_rate_bps":0,"expiration":"0","book_added_at":"2026-11-23T20:00:00.250Z","#,
                r#""created_at":"2026-11-23T20:00:00.000Z","updated_at":"2026-11-23T20:00:01.000Z"}}"#
            ),
            "0f".repeat(32),
            "ab".repeat(32)
        );
        let view: OrderView = serde_json::from_str(&text).unwrap();
        assert_eq!(view.status, OrderStatus::PartiallyFilled);
        assert_eq!(serde_json::to_string(&view).unwrap(), text);
    }
}
