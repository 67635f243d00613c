//! End-to-end tests: each starts the real `gateway` binary on a free port and speaks HTTP to it.

mod auth;
mod auth_harness;
