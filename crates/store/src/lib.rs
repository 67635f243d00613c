//! Persistence through sqlx: embedded SQLite by default, PostgreSQL for production, embedded migrations.
//!
//! One `Store` speaks both dialects through sqlx's `Any` driver with portable SQL (`$n`
//! placeholders, BIGINT and TEXT columns). Where the dialects differ (row locks, the embedded
//! store's in-memory hash index, the shape of an optimistic acceptance), the `Backend` says
//! which to use. Optimistic acceptance writes through a connection of its own on each backend:
//! SQLite's skips sqlx and runs synchronously (`direct`), PostgreSQL's is a typed sqlx connection
//! whose one statement takes arrays (`pg_direct`). Each domain has its own module; no caller writes SQL.

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
mod pg_direct;
pub mod trades;
pub mod wallet_bindings;

pub use backend::{redact, Backend, Store, StoreOptions};
pub use error::StoreError;
