//! Order intake and the order routes' domain layer: EIP-712 order hashing and signer recovery,
//! the signed-amount formulas, the per-order validation pipeline, acceptance through a
//! group-committing writer with balance reservations, cancels (also on chain), the order
//! requests' rules and the order views. No HTTP here: the gateway's handlers call
//! [`OrderService`].
//!
//! Everything past hashing and the amount formulas needs the store and sits behind the
//! default `server` feature; the bot client builds without it.

pub mod amounts;
pub mod eip712;

#[cfg(feature = "server")]
pub mod accept;
#[cfg(feature = "server")]
pub mod calldata;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
pub mod ledger;
#[cfg(feature = "server")]
pub mod request;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod validate;
#[cfg(feature = "server")]
pub mod views;
#[cfg(feature = "server")]
pub mod wire;

pub use eip712::{order_digest, recover_signer, DomainCache, Order, SignatureError};
pub use types::OrderType;

#[cfg(feature = "server")]
pub use accept::{
    acceptance_writer, AcceptError, AcceptanceHandle, AcceptanceWriter, Announced, WriterConfig,
    WriterStats,
};
#[cfg(feature = "server")]
pub use error::{InlineError, OrderError, ServiceError};
#[cfg(feature = "server")]
pub use ledger::{BalanceSource, BalanceSourceError, InternalLedger};
#[cfg(feature = "server")]
pub use service::{
    request_hash, IdempotencyKey, OrderService, OrdersQuery, Placed, StatusGroup,
    IDEMPOTENCY_IN_FLIGHT_WAIT,
};
#[cfg(feature = "server")]
pub use store::cancels::CancelSelection;
#[cfg(feature = "server")]
pub use validate::{
    mark_batch_duplicates, validate, validate_batch, Intake, ItemSource, MarketLookup, MarketTerms,
    OrderItem, TokenTerms, ValidatedOrder,
};
#[cfg(feature = "server")]
pub use wire::WireItem;
