//! The tier guard and the key routes in-process: each case asserts the status and the code.

mod common;

mod identity_tokens;
mod jwt_rules;
mod key_lifecycle;
mod privy_api;
mod throttling;
mod ws_tokens;
