//! What can go wrong while authenticating or managing keys, with the contract's code of each,
//! and the live-key limit a message states.

use store::StoreError;
use types::{ContractError, ErrorCode, InvalidField};

use crate::permissions::Permission;

/// Live (unrevoked, unexpired) keys a wallet may hold.
pub const MAX_LIVE_KEYS: u32 = 25;

/// Live (unused, unexpired) WebSocket tokens a wallet may hold (docs/api.md 5).
pub const MAX_LIVE_WS_TOKENS: u32 = 20;

/// Every message here is what the client is told; internals sit in fields that only the log
/// shows (the envelope's renderer logs every 5xx error with its `Debug` form).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "Authentication required: Authorization: Bearer <jwt>, or fs-api-key and fs-api-secret"
    )]
    Missing,
    /// A JWT failed a signature or claim rule; the reason is safe to show.
    #[error("Invalid token: {0}")]
    InvalidToken(&'static str),
    #[error("Invalid Privy identity token: {0}")]
    InvalidIdentityToken(&'static str),
    #[error("{0}")]
    MalformedHeaders(&'static str),
    #[error("Invalid API key or secret")]
    UnknownKey,
    #[error("Invalid API key or secret")]
    WrongSecret,
    #[error("This API key has expired")]
    KeyExpired,
    #[error("This API key was revoked")]
    KeyRevoked,
    #[error("API keys cannot be used on this route; authenticate with a Privy JWT")]
    KeyOnL1,
    #[error("This API key lacks the {0} permission")]
    MissingPermission(Permission),
    #[error("No wallet is linked to this Privy user")]
    NoWallet,
    /// The failed-attempt throttle only: its message is about failed authentications.
    #[error("Too many failed authentication attempts; retry later")]
    Throttled { retry_after_secs: u64 },
    #[error(
        "At most {} live WebSocket tokens per wallet; retry in {retry_after_secs} s",
        MAX_LIVE_WS_TOKENS
    )]
    WsTokenLimit { retry_after_secs: u64 },
    /// The in-process token store is full (many wallets at once; one wallet never fills it).
    #[error(
        "This gateway holds as many live WebSocket tokens as it can; retry in {retry_after_secs} s"
    )]
    WsTokensExhausted { retry_after_secs: u64 },
    #[error(
        "A wallet may hold at most {} live API keys; revoke one first",
        MAX_LIVE_KEYS
    )]
    KeyLimitReached,
    #[error("No such API key")]
    KeyNotFound,
    #[error("API keys are not configured on this gateway")]
    ApiKeysDisabled,
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The OS random number generator failed.
    #[error("the OS random number generator failed")]
    Rng,
    #[error("Privy is unavailable to resolve the wallet; retry shortly")]
    PrivyApi(String),
    #[error("Redis is unavailable; retry shortly")]
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

impl ContractError for AuthError {
    fn code(&self) -> ErrorCode {
        match self {
            AuthError::Missing => ErrorCode::AuthMissing,
            AuthError::InvalidToken(_)
            | AuthError::InvalidIdentityToken(_)
            | AuthError::MalformedHeaders(_)
            | AuthError::UnknownKey
            | AuthError::WrongSecret
            | AuthError::KeyExpired => ErrorCode::AuthInvalid,
            AuthError::KeyRevoked => ErrorCode::AuthRevoked,
            AuthError::KeyOnL1 | AuthError::MissingPermission(_) | AuthError::NoWallet => {
                ErrorCode::Forbidden
            }
            AuthError::Throttled { .. }
            | AuthError::WsTokenLimit { .. }
            | AuthError::WsTokensExhausted { .. } => ErrorCode::RateLimited,
            AuthError::KeyLimitReached => ErrorCode::KeyLimitReached,
            AuthError::KeyNotFound => ErrorCode::NotFound,
            AuthError::Invalid(e) => e.code(),
            AuthError::ApiKeysDisabled
            | AuthError::PrivyApi(_)
            | AuthError::RedisUnavailable(_) => ErrorCode::ServiceDegraded,
            AuthError::Rng => ErrorCode::InternalError,
            AuthError::Store(e) => e.code(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::Throttled { retry_after_secs }
            | AuthError::WsTokenLimit { retry_after_secs }
            | AuthError::WsTokensExhausted { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}
