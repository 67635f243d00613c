//! Every error code of the contract, with its HTTP status, in one table.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident = ($status:literal, $code:literal),)*) => {
        /// A code of the contract's error table (section 3), or a per-order inline code.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The HTTP status this code answers with when it fails a whole request.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }
        }
    };
}

error_codes! {
    ValidationError = (400, "VALIDATION_ERROR"),
    AuthMissing = (401, "AUTH_MISSING"),
    AuthInvalid = (401, "AUTH_INVALID"),
    AuthRevoked = (401, "AUTH_REVOKED"),
    Forbidden = (403, "FORBIDDEN"),
    NotFound = (404, "NOT_FOUND"),
    OrderNotFound = (404, "ORDER_NOT_FOUND"),
    // Not in the contract's table: HTTP's own answer for a known route and an unknown method.
    MethodNotAllowed = (405, "METHOD_NOT_ALLOWED"),
    IdempotencyConflict = (409, "IDEMPOTENCY_CONFLICT"),
    KeyLimitReached = (409, "KEY_LIMIT_REACHED"),
    PayloadTooLarge = (413, "PAYLOAD_TOO_LARGE"),
    BatchSizeExceeded = (422, "BATCH_SIZE_EXCEEDED"),
    OrderAlreadyFilled = (422, "ORDER_ALREADY_FILLED"),
    RateLimited = (429, "RATE_LIMITED"),
    InternalError = (500, "INTERNAL_ERROR"),
    ServiceDegraded = (503, "SERVICE_DEGRADED"),
    // Per-order codes: reported inline in batch results, never as a request's status.
    WalletMismatch = (400, "WALLET_MISMATCH"),
    InvalidSignature = (400, "INVALID_SIGNATURE"),
    PriceOutOfRange = (400, "PRICE_OUT_OF_RANGE"),
    InvalidTick = (400, "INVALID_TICK"),
    SizeTooSmall = (400, "SIZE_TOO_SMALL"),
    DriftedAmounts = (400, "DRIFTED_AMOUNTS"),
    OrderExpired = (400, "ORDER_EXPIRED"),
    MarketNotFound = (400, "MARKET_NOT_FOUND"),
    MarketNotActive = (400, "MARKET_NOT_ACTIVE"),
    InsufficientBalance = (400, "INSUFFICIENT_BALANCE"),
    DuplicateOrder = (400, "DUPLICATE_ORDER"),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An error a client sees: a code from the table and a message that says what to fix.
///
/// Internals never go into `message`; log them where the error is made.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds, sent as `Retry-After` with `RATE_LIMITED`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A 400 whose message starts with the offending field.
    pub fn validation(field: &str, reason: impl fmt::Display) -> ApiError {
        ApiError::new(ErrorCode::ValidationError, format!("{field}: {reason}"))
    }

    pub fn not_found(what: &'static str) -> ApiError {
        ApiError::new(ErrorCode::NotFound, what)
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            ErrorCode::InternalError,
            "Internal error; it has been logged",
        )
    }

    pub fn degraded(what: &'static str) -> ApiError {
        ApiError::new(ErrorCode::ServiceDegraded, what)
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after_secs.max(1)),
            ..ApiError::new(ErrorCode::RateLimited, "Too many requests; retry later")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_statuses_match_the_contract() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
        }
        assert_eq!(ErrorCode::AuthRevoked.http_status(), 401);
        assert_eq!(ErrorCode::KeyLimitReached.http_status(), 409);
        assert_eq!(ErrorCode::BatchSizeExceeded.http_status(), 422);
        assert_eq!(ErrorCode::ServiceDegraded.http_status(), 503);
    }

    #[test]
    fn rate_limited_always_says_when_to_retry() {
        assert_eq!(ApiError::rate_limited(0).retry_after, Some(1));
    }
}
