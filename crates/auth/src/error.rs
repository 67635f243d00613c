//! What can go wrong while authenticating or managing keys, and its one mapping to the envelope.

use std::borrow::Cow;

use store::StoreError;
use types::{ApiError, ErrorCode};

use crate::permissions::Permission;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no credential")]
    Missing,
    /// A JWT failed a signature or claim rule; the reason is safe to show.
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    #[error("invalid identity token: {0}")]
    InvalidIdentityToken(&'static str),
    #[error("malformed credential headers: {0}")]
    MalformedHeaders(&'static str),
    #[error("unknown API key")]
    UnknownKey,
    #[error("wrong API secret")]
    WrongSecret,
    #[error("API key expired")]
    KeyExpired,
    #[error("API key revoked")]
    KeyRevoked,
    #[error("API key used on an L1 route")]
    KeyOnL1,
    #[error("missing permission {0}")]
    MissingPermission(Permission),
    #[error("no wallet linked to the Privy user")]
    NoWallet,
    #[error("too many failed attempts")]
    Throttled { retry_after_secs: u64 },
    #[error("live key limit reached")]
    KeyLimitReached,
    #[error("no such key")]
    KeyNotFound,
    #[error("API keys are not configured (FS_API_KEY_PEPPER)")]
    ApiKeysDisabled,
    #[error("the OS random number generator failed")]
    Rng,
    #[error("Privy API: {0}")]
    PrivyApi(String),
    #[error("Redis: {0}")]
    RedisUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    /// Failures that count towards brute-force throttling.
    pub fn is_failed_attempt(&self) -> bool {
        matches!(
            self,
            AuthError::InvalidToken(_)
                | AuthError::InvalidIdentityToken(_)
                | AuthError::MalformedHeaders(_)
                | AuthError::UnknownKey
                | AuthError::WrongSecret
                | AuthError::KeyExpired
                | AuthError::KeyRevoked
        )
    }
}

/// The only place auth errors become HTTP: status and code from the contract's table.
impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        let (code, message): (ErrorCode, Cow<'static, str>) = match e {
            AuthError::Missing => (
                ErrorCode::AuthMissing,
                "Authentication required: Authorization: Bearer <jwt>, or fs-api-key and fs-api-secret".into(),
            ),
            AuthError::InvalidToken(why) => {
                (ErrorCode::AuthInvalid, format!("Invalid token: {why}").into())
            }
            AuthError::InvalidIdentityToken(why) => (
                ErrorCode::AuthInvalid,
                format!("Invalid Privy identity token: {why}").into(),
            ),
            AuthError::MalformedHeaders(why) => (ErrorCode::AuthInvalid, why.into()),
            AuthError::UnknownKey | AuthError::WrongSecret => {
                (ErrorCode::AuthInvalid, "Invalid API key or secret".into())
            }
            AuthError::KeyExpired => (ErrorCode::AuthInvalid, "This API key has expired".into()),
            AuthError::KeyRevoked => (ErrorCode::AuthRevoked, "This API key was revoked".into()),
            AuthError::KeyOnL1 => (
                ErrorCode::Forbidden,
                "API keys cannot be used on this route; authenticate with a Privy JWT".into(),
            ),
            AuthError::MissingPermission(p) => (
                ErrorCode::Forbidden,
                format!("This API key lacks the {p} permission").into(),
            ),
            AuthError::NoWallet => (
                ErrorCode::Forbidden,
                "No wallet is linked to this Privy user".into(),
            ),
            AuthError::Throttled { retry_after_secs } => {
                let mut err = ApiError::rate_limited(retry_after_secs);
                err.message = "Too many failed authentication attempts; retry later".into();
                return err;
            }
            AuthError::KeyLimitReached => (
                ErrorCode::KeyLimitReached,
                format!(
                    "A wallet may hold at most {} live API keys; revoke one first",
                    crate::keys::MAX_LIVE_KEYS
                )
                .into(),
            ),
            AuthError::KeyNotFound => (ErrorCode::NotFound, "No such API key".into()),
            AuthError::ApiKeysDisabled => {
                tracing::warn!("API key request on a gateway without FS_API_KEY_PEPPER");
                (
                    ErrorCode::ServiceDegraded,
                    "API keys are not configured on this gateway".into(),
                )
            }
            AuthError::Rng => {
                tracing::error!("OS random number generator failed");
                return ApiError::internal();
            }
            AuthError::PrivyApi(detail) => {
                tracing::warn!(error = %detail, "Privy API unavailable");
                (
                    ErrorCode::ServiceDegraded,
                    "Privy is unavailable to resolve the wallet; retry shortly".into(),
                )
            }
            AuthError::RedisUnavailable(detail) => {
                tracing::warn!(error = %detail, "Redis unavailable");
                (
                    ErrorCode::ServiceDegraded,
                    "Redis is unavailable; retry shortly".into(),
                )
            }
            AuthError::Store(e) => return e.into(),
        };
        ApiError::new(code, message)
    }
}
