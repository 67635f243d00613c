//! The matching engine: a pure matching core per market, and one matcher per market that commits its fills, ledger moves and events.
//!
//! [`core`] takes commands and returns what they did; it has no I/O, no clock and no async.
//! A [`matcher`](Engine) per market runs it: every change to a booked order goes through it, a
//! batch of commands is one database transaction (the log), and what a batch did is published
//! ([`feed`]) only once it has committed. docs/engine.md describes the design.

pub mod core;
pub mod feed;
mod handle;
mod ids;
pub mod ledger;
mod matcher;
pub mod settlement;

pub use handle::{Engine, EngineConfig, EngineError};
pub use matcher::CancelTarget;
pub use settlement::{InternalLedger, Settlement, SettlementError};
