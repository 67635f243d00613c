//! Markets as the gateway describes them (docs/api.md 3), and the part of one an order needs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use types::{ChainId, ConditionId, ContractAddress, MarketStatus, Outcome, Size, TokenId};

/// An outcome token of a market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub token_id: TokenId,
    pub outcome: Outcome,
    pub decimals: u8,
}

/// A market object of `GET /v1/markets[/{condition_id}]`. The fields orders need are typed;
/// the rest (question, dates, texts, ticker, ...) is kept as sent in `other`, so printing a
/// market loses nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Market {
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub status: MarketStatus,
    pub tokens: Vec<TokenInfo>,
    pub fee_rate_bps: u32,
    pub min_order_size: Size,
    pub ctf_exchange_address: ContractAddress,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Market {
    /// What signing an order on this market needs.
    pub fn info(&self) -> MarketInfo {
        MarketInfo {
            condition_id: self.condition_id,
            chain_id: self.chain_id,
            tokens: self.tokens.clone(),
            fee_rate_bps: self.fee_rate_bps,
            ctf_exchange_address: self.ctf_exchange_address,
        }
    }
}

/// The description of a market an order is built from; building fetches nothing, so a bot
/// can keep these and sign without a round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInfo {
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub tokens: Vec<TokenInfo>,
    pub fee_rate_bps: u32,
    /// The EIP-712 `verifyingContract` of the market's orders.
    pub ctf_exchange_address: ContractAddress,
}

impl MarketInfo {
    pub fn token(&self, outcome: Outcome) -> Option<TokenInfo> {
        self.tokens.iter().find(|t| t.outcome == outcome).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_market_parses_and_prints_back_every_field() {
        let body = serde_json::json!({
            "condition_id": format!("0x{}", "ab".repeat(32)),
            "chain_id": 56,
            "question": "Will it rain?",
            "status": "OPEN",
            "tokens": [
                {"token_id": "1001", "outcome": 1, "decimals": 18},
                {"token_id": "1002", "outcome": 0, "decimals": 18}
            ],
            "fee_rate_bps": 150,
            "min_order_size": "5.00",
            "tick_size": "0.01",
            "ctf_exchange_address": format!("0x{}", "5c".repeat(20)),
            "ticker": {"bestBid": 0.5, "bestAsk": null}
        });
        let market: Market = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(market.chain_id, ChainId(56));
        assert_eq!(market.min_order_size, Size::from_hundredths(500));
        let info = market.info();
        assert_eq!(info.fee_rate_bps, 150);
        assert_eq!(
            info.token(Outcome::No).unwrap().token_id.to_string(),
            "1002"
        );
        assert_eq!(serde_json::to_value(&market).unwrap(), body);
    }
}
