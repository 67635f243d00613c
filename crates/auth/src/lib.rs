//! Authentication for the gateway: Privy JWTs, API keys, permissions, ws tokens, credential caches and brute-force throttling.
//!
//! No HTTP here: the gateway's tier guard reads the headers and calls
//! [`Authenticator::authorize`]. The rules: [`jwt`] (signature and claims), [`identity`] (which wallet a Privy user acts as),
//! [`api_key`] (formats, hashing), [`permissions`] (what a key may do), [`access`] (the tier
//! table), [`key_cache`] and [`jwt_cache`] (verified credentials), [`throttle`] (failed attempts),
//! [`invalidation`] (cross-instance cache eviction through Redis) and [`authenticator`], which ties
//! them together.

pub mod access;
pub mod api_key;
pub mod authenticator;
pub mod dev;
mod error;
pub mod identity;
pub mod invalidation;
pub mod jwt;
pub mod jwt_cache;
pub mod key_cache;
pub mod keys;
pub mod last_used;
pub mod permissions;
pub mod privy_api;
pub mod throttle;
pub mod ws_token;

pub use access::Access;
pub use authenticator::{AuthSettings, Authenticator, Credential, Principal};
pub use error::AuthError;
pub use permissions::{Permission, Permissions};
