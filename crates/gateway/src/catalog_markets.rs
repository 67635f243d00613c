//! The market catalog as the order pipeline sees it: the terms validation needs, from memory.

use std::sync::Arc;

use market_data::catalog::MarketEntry;
use market_data::MarketCatalog;
use orders::{MarketLookup, MarketTerms, TokenTerms};
use types::{MarketKey, Outcome, TokenId};

pub struct CatalogMarkets(pub Arc<MarketCatalog>);

impl MarketLookup for CatalogMarkets {
    fn market(&self, key: &MarketKey) -> Option<MarketTerms> {
        self.0.get(key).map(|entry| terms(&entry))
    }

    fn market_of_token(&self, token: &TokenId) -> Option<MarketTerms> {
        self.0.market_of_token(token).map(|entry| terms(&entry))
    }
}

fn terms(entry: &MarketEntry) -> MarketTerms {
    let m = &entry.record;
    MarketTerms {
        key: entry.key(),
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
    }
}
