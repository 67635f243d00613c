//! The matching engine: the pure matching core of each market now; the matcher (the per-market sequence, its transaction and recovery) comes next.
//!
//! [`core`] takes commands and returns what they did; it has no I/O, no clock and no async,
//! so everything built on it (ledger moves, events, persistence) is derived from its output.

pub mod core;
