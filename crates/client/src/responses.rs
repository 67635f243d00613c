//! The JSON answers of the order routes (API.md 5.2) and the error envelope (API.md 3).
//!
//! Fields the contract lists are typed; timestamps stay RFC 3339 text. Every struct also
//! serializes, so `fs-cli` prints what it received.

use serde::{Deserialize, Serialize};
use types::{
    ChainId, ConditionId, ContractAddress, OrderHash, OrderStatus, OrderType, Outcome, Side, Size,
    Ticks, TokenId,
};

/// `{"status_code", "code", "message", "correlation_id"}`: every non-2xx body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub status_code: u16,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

/// `POST /v1/orders` → 200: one result per submitted item, in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlaceOrdersResponse {
    pub results: Vec<OrderResult>,
    /// True when the idempotency key replayed a stored response.
    #[serde(
        rename = "_idempotent_replayed",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub idempotent_replayed: bool,
}

impl PlaceOrdersResponse {
    /// The number of items the gateway refused.
    pub fn rejected(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r, OrderResult::Rejected { .. }))
            .count()
    }
}

/// The result of one item: accepted (resting `OPEN`) or refused with an inline code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrderResult {
    Rejected { error: InlineError },
    Accepted(PlacedOrder),
}

/// A per-order refusal: `WALLET_MISMATCH`, `DRIFTED_AMOUNTS`, `INSUFFICIENT_BALANCE`, ...
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineError {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlacedOrder {
    pub order_hash: OrderHash,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub status: OrderStatus,
    pub price: Ticks,
    pub size: Size,
    pub remaining_size: Size,
    #[serde(default)]
    pub fills: Vec<serde_json::Value>,
    pub book_added_at: Option<String>,
    pub created_at: String,
}

/// An order of `GET /v1/orders` and `GET /v1/orders/{order_hash}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// Unix seconds as a decimal string; `"0"` = none.
    pub expiration: String,
    pub book_added_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/orders/cancel` → 200: the orders this call actually cancelled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelResponse {
    pub cancelled_count: u64,
    pub order_hashes: Vec<OrderHash>,
}

/// `POST /v1/orders/{order_hash}/cancel-onchain` → 200: the transaction the wallet submits
/// to invalidate the signature on-chain (`cancelOrder(Order)` calldata to the exchange).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOnchain {
    pub order_hash: OrderHash,
    pub chain_id: ChainId,
    pub to: ContractAddress,
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
        assert_eq!(resp.rejected(), 1);
        match &resp.results[0] {
            OrderResult::Accepted(o) => {
                assert_eq!(o.order_hash.to_string(), hash);
                assert_eq!(o.price.get(), 55);
                assert_eq!(o.status, OrderStatus::Open);
            }
            other => panic!("expected an accepted order, got {other:?}"),
        }
        match &resp.results[1] {
            OrderResult::Rejected { error } => assert_eq!(error.code, "DRIFTED_AMOUNTS"),
            other => panic!("expected an inline error, got {other:?}"),
        }
        assert_eq!(serde_json::to_value(&resp).unwrap(), body);

        let replay: PlaceOrdersResponse =
            serde_json::from_str(r#"{"results":[],"_idempotent_replayed":true}"#).unwrap();
        assert!(replay.idempotent_replayed);
    }
}
