//! The market catalog as the order pipeline sees it: the terms validation needs, from memory.

use std::sync::Arc;

use market_data::MarketCatalog;
use orders::{MarketLookup, MarketTerms, TokenTerms};
use types::{MarketKey, Outcome};

pub struct CatalogMarkets(pub Arc<MarketCatalog>);

impl MarketLookup for CatalogMarkets {
    fn market(&self, key: &MarketKey) -> Option<MarketTerms> {
        let entry = self.0.get(key)?;
        let m = &entry.record;
        Some(MarketTerms {
            key: *key,
            status: m.status,
            ctf_exchange_address: m.ctf_exchange_address,
            tokens: [
                TokenTerms {
                    token_id: m.yes.token_id,
                    outcome: Outcome::Yes,
                    decimals: m.yes.decimals,
                },
                TokenTerms {
                    token_id: m.no.token_id,
                    outcome: Outcome::No,
                    decimals: m.no.decimals,
                },
            ],
            fee_rate_bps: m.fee_rate_bps,
            min_order_size: m.min_order_size,
        })
    }
}
