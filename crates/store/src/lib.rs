//! Persistence through sqlx: embedded SQLite by default, PostgreSQL for production, embedded migrations.
//!
//! One `Store` speaks both dialects through sqlx's `Any` driver with portable SQL (`$n`
//! placeholders, BIGINT and TEXT columns). Where the dialects differ (row locks, the embedded
//! store's in-memory hash index, the shape of an optimistic acceptance), the `Backend` says
//! which to use. The embedded store's optimistic acceptance alone skips sqlx: it writes through
//! a connection of its own, synchronously (`direct`). Each domain has its own module; no caller writes SQL.

pub mod acceptance;
pub mod api_keys;
mod backend;
mod balance_hints;
pub mod balances;
pub mod cancels;
mod direct;
mod error;
mod hash_index;
pub mod idempotency;
pub mod markets;
mod migrations;
mod optimistic;
pub mod orders;
pub mod trades;
pub mod wallet_bindings;

pub use backend::{redact, Backend, Store, StoreOptions};
pub use error::StoreError;
