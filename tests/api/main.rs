//! End-to-end tests: each starts the real `gateway` binary on a free port and speaks HTTP to it.
//!
//! One test per rule of the API reference (`docs/api.md`) and of the README's configuration,
//! named after the rule. Every test has its own gateway and working directory, so they run in
//! parallel.

mod harness;

mod admin;
mod config;
mod errors;
mod lifecycle;
mod markets;
mod matching;
mod ops;
mod orders;
mod pagination;
mod persistence;
mod secrets;
mod security;
mod trading;

mod auth;
mod auth_harness;
