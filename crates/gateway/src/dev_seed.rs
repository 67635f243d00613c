//! Dev mode's demo market, so a new user sees data at once.

use std::collections::BTreeMap;

use store::markets::{MarketRecord, TokenSpec, Translation};
use store::{Store, StoreError};
use types::{ChainId, MarketStatus, Timestamp};

pub const DEMO_CONDITION_ID: &str =
    "0xde30000000000000000000000000000000000000000000000000000000000001";

fn parse<T: std::str::FromStr>(s: &str) -> T {
    s.parse()
        .unwrap_or_else(|_| panic!("demo constant {s} parses"))
}

fn demo_market(now: Timestamp) -> MarketRecord {
    let mut translations = BTreeMap::new();
    translations.insert(
        "cn".to_owned(),
        Translation {
            summary: "演示市场：仅用于本地开发。".to_owned(),
            rules: "如果网关在本地撮合了第一笔订单，则结算为是。".to_owned(),
        },
    );
    MarketRecord {
        condition_id: parse(DEMO_CONDITION_ID),
        chain_id: ChainId(56),
        question: "Demo: will this local gateway match its first order?".to_owned(),
        status: MarketStatus::Open,
        yes: TokenSpec {
            token_id: parse("1001"),
            decimals: 18,
        },
        no: TokenSpec {
            token_id: parse("1000"),
            decimals: 18,
        },
        collateral_token: parse("0x55d398326f99059ff775485246999027b3197955"),
        ctf_exchange_address: parse("0x00000000000000000000000000000000000de301"),
        conditional_tokens_address: parse("0x00000000000000000000000000000000000de302"),
        fee_rate_bps: 0,
        min_order_size: parse("5"),
        end_date: None,
        summary: "A demo market for local development only.".to_owned(),
        rules: "Resolves YES if the local gateway matches its first order.".to_owned(),
        translations,
        created_at: now,
        updated_at: now,
    }
}

/// Inserts the demo market unless it is already there.
pub async fn seed(store: &Store) -> Result<(), StoreError> {
    match store.insert_market(&demo_market(Timestamp::now())).await {
        Ok(()) => {
            tracing::info!(
                condition_id = DEMO_CONDITION_ID,
                chain_id = 56,
                "dev mode: demo market seeded"
            );
            Ok(())
        }
        Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}
