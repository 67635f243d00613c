//! Order intake: EIP-712 order hashing and signer recovery, the signed-amount formulas, and the per-order validation pipeline.

pub mod amounts;
pub mod eip712;
mod error;
pub mod validate;

pub use eip712::{order_digest, recover_signer, DomainCache, Order, SignatureError};
pub use error::{InlineError, OrderError};
pub use types::OrderType;
pub use validate::{
    validate, validate_batch, Intake, MarketLookup, MarketTerms, OrderItem, TokenTerms,
    ValidatedOrder,
};
