//! Authentication for the gateway: Privy JWTs, API keys, the tier guard, credential caches and brute-force throttling.
//!
//! The HTTP layer ([`guard`], [`routes`]) is thin; the rules live in modules that know nothing of
//! actix: [`jwt`] (signature and claims), [`identity`] (which wallet a Privy user acts as),
//! [`api_key`] (formats, hashing), [`permissions`] (the tier table), [`key_cache`] and
//! [`jwt_cache`] (verified credentials), [`throttle`] (failed attempts), [`invalidation`]
//! (cross-instance cache eviction through Redis) and [`authenticator`], which ties them together.

pub mod api_key;
pub mod authenticator;
pub mod dev;
mod error;
pub mod guard;
pub mod identity;
pub mod invalidation;
pub mod jwt;
pub mod jwt_cache;
pub mod key_cache;
pub mod keys;
pub mod last_used;
pub mod permissions;
pub mod privy_api;
pub mod routes;
pub mod throttle;
pub mod ws_token;

pub use authenticator::{AuthSettings, Authenticator};
pub use error::AuthError;
pub use guard::{require, Credential, Principal};
pub use permissions::{Access, Permission, Permissions};
