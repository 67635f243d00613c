//! Ids of what a batch creates, derived from where it was created: the same batch replayed
//! gives the same ids, so the table's unique keys refuse a second copy.

use alloy_primitives::keccak256;
use types::MarketKey;

/// The id of the `n`th record of kind `kind` in batch `seq` of `market`: `0x` + 64 hex.
pub(crate) fn derived_id(kind: &str, market: &MarketKey, seq: u64, n: u32) -> String {
    let mut bytes = Vec::with_capacity(kind.len() + 32 + 8 + 8 + 4);
    bytes.extend_from_slice(kind.as_bytes());
    bytes.extend_from_slice(market.condition_id.0.as_slice());
    bytes.extend_from_slice(&market.chain_id.0.to_be_bytes());
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(&n.to_be_bytes());
    keccak256(&bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{ChainId, ConditionId};

    #[test]
    fn ids_differ_by_kind_market_seq_and_place() {
        let m = MarketKey {
            condition_id: ConditionId(types::B256::repeat_byte(1)),
            chain_id: ChainId(56),
        };
        let other = MarketKey {
            chain_id: ChainId(97),
            ..m
        };
        let a = derived_id("fill", &m, 1, 0);
        assert_eq!(a.len(), 66);
        assert_eq!(a, derived_id("fill", &m, 1, 0));
        for b in [
            derived_id("trade", &m, 1, 0),
            derived_id("fill", &other, 1, 0),
            derived_id("fill", &m, 2, 0),
            derived_id("fill", &m, 1, 1),
        ] {
            assert_ne!(a, b);
        }
    }
}
