//! Order intake and the order routes' domain layer: the per-order validation pipeline,
//! acceptance through a group-committing writer with balance reservations, cancels (also on
//! chain), the order requests' rules and the order views, and the wallet's reads of what its
//! orders did (fills, positions). No HTTP here: the gateway's handlers call [`OrderService`].
//!
//! The EIP-712 hashing and signer recovery, the signed-amount formulas and the cancel calldata
//! are the `signing` crate's, which the bot client shares.

pub mod accept;
pub mod acceptance;
pub mod cancels;
mod error;
pub mod fills;
pub mod idempotency;
pub mod ledger;
pub mod onchain;
pub mod positions;
pub mod request;
pub mod service;
pub mod validate;
pub mod views;
pub mod wire;

pub use types::OrderType;

pub use accept::{
    acceptance_writer, AcceptanceHandle, AcceptanceWriter, Announced, WriterConfig, WriterStats,
};
pub use error::{
    AcceptError, GroupCommitError, InlineError, OrderError, ReservedAsset, ServiceError, Shortfall,
};
pub use fills::FillsQuery;
pub use ledger::{BalanceSource, BalanceSourceError, InternalLedger};
pub use request::StatusGroup;
pub use service::{
    request_hash, IdempotencyKey, OrderService, OrdersQuery, Placed, IDEMPOTENCY_IN_FLIGHT_WAIT,
};
pub use store::cancels::CancelSelection;
pub use validate::{
    mark_batch_duplicates, validate, validate_batch, Intake, ItemSource, MarketLookup, MarketTerms,
    OrderItem, TokenTerms, ValidatedOrder,
};
pub use wire::WireItem;
