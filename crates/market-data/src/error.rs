//! What can go wrong reading market data or running the operators' changes, with the
//! contract's code of each.

use store::StoreError;
use types::{ContractError, ErrorCode, InvalidField};

#[derive(Debug, thiserror::Error)]
pub enum MarketDataError {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("No market with this condition_id on this chain_id")]
    MarketNotFound,
    #[error("condition_id: a market with this condition_id and chain_id already exists")]
    MarketExists,
    #[error("tokens: a token_id already belongs to another market")]
    TokenTaken,
    /// A market this instance just wrote is missing from its catalog (never expected).
    #[error("market {0:?} is missing from the catalog right after its write")]
    CatalogMissing(types::MarketKey),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ContractError for MarketDataError {
    fn code(&self) -> ErrorCode {
        match self {
            MarketDataError::Invalid(e) => e.code(),
            MarketDataError::MarketNotFound => ErrorCode::NotFound,
            MarketDataError::MarketExists | MarketDataError::TokenTaken => {
                ErrorCode::ValidationError
            }
            MarketDataError::CatalogMissing(_) => ErrorCode::InternalError,
            MarketDataError::Store(e) => e.code(),
        }
    }
}
