//! Persistence through sqlx: embedded SQLite by default, PostgreSQL for production, embedded migrations.
//!
//! One `Store` speaks both dialects through sqlx's `Any` driver with portable SQL (`$n`
//! placeholders, BIGINT and TEXT columns). Where the dialects differ (row locks, the embedded
//! store's in-memory hash index, the shape of an optimistic acceptance), the `Backend` says
//! which to use. Each table family has its own module; no caller writes SQL.
//!
//! The store carries out and decides nothing: functions that change several rows take a
//! [`Tx`] the caller opened ([`Store::write_connection`]), so the domain composes its own unit
//! of work and commits it once. The fast acceptance paths are grouped in [`acceptance`].

pub mod acceptance;
pub mod api_keys;
mod backend;
mod balance_hints;
pub mod balances;
pub mod cancels;
mod dialect;
mod error;
pub mod fills;
mod hash_index;
pub mod idempotency;
pub mod markets;
pub mod matching;
mod migrations;
pub mod orders;
pub mod positions;
pub mod trades;
mod tx;
pub mod wallet_bindings;

pub use backend::{Store, StoreOptions, WriteConnection};
pub use dialect::{redact, Backend};
pub use error::{StoreError, UnreadableRow};
pub use tx::Tx;
