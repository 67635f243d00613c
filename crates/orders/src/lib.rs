//! Order intake and the order routes' domain layer: EIP-712 order hashing and signer recovery,
//! the signed-amount formulas, the per-order validation pipeline, acceptance through a
//! group-committing writer with balance reservations, cancels (also on chain) and the order
//! views. No HTTP here: handlers call [`OrderService`].

pub mod accept;
pub mod amounts;
pub mod calldata;
pub mod eip712;
mod error;
pub mod ledger;
#[cfg(feature = "http")]
pub mod routes;
pub mod service;
pub mod validate;
pub mod views;

pub use accept::{
    acceptance_writer, AcceptError, AcceptanceHandle, AcceptanceWriter, WriterConfig,
};
pub use eip712::{order_digest, recover_signer, DomainCache, Order, SignatureError};
pub use error::{InlineError, OrderError, ServiceError};
pub use ledger::{BalanceSource, BalanceSourceError, InternalLedger};
pub use service::{request_hash, IdempotencyKey, OrderService, OrdersQuery, Placed, StatusGroup};
pub use store::cancels::CancelSelection;
pub use types::OrderType;
pub use validate::{
    mark_batch_duplicates, validate, validate_batch, Intake, MarketLookup, MarketTerms, OrderItem,
    TokenTerms, ValidatedOrder,
};
