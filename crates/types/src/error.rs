//! Every error code of the contract, with its HTTP status, in one table.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident = ($status:literal, $code:literal),)*) => {
        /// A code of the contract's error table (docs/api.md 1.4), or a per-order inline code.
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
    // Not in the contract's table either: a request body that did not arrive in time.
    RequestTimeout = (408, "REQUEST_TIMEOUT"),
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

/// An error that a client may be shown: the code of the contract's table it answers with.
///
/// Every crate's error enum implements this, so that one conversion at the HTTP edge renders
/// any of them (meilisearch's `ErrorCode` trait has the same shape). The error's own text
/// (`Display`) is the client's message, except for `INTERNAL_ERROR`, whose text goes only to
/// the log: variants that carry internals keep them in a `#[source]` or behind that code.
pub trait ContractError: std::error::Error {
    fn code(&self) -> ErrorCode;

    /// Seconds, sent as `Retry-After` with `RATE_LIMITED`.
    fn retry_after(&self) -> Option<u64> {
        None
    }
}

/// A malformed or disallowed input field: a 400 whose message starts with the field's name.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidField {
    pub field: Cow<'static, str>,
    pub reason: Cow<'static, str>,
}

impl InvalidField {
    pub fn new(field: impl Into<Cow<'static, str>>, reason: impl fmt::Display) -> InvalidField {
        InvalidField {
            field: field.into(),
            reason: reason.to_string().into(),
        }
    }
}

impl ContractError for InvalidField {
    fn code(&self) -> ErrorCode {
        ErrorCode::ValidationError
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
    fn an_invalid_field_names_the_field_first() {
        let e = InvalidField::new("limit", "must be an integer from 1 to 100");
        assert_eq!(e.code(), ErrorCode::ValidationError);
        assert_eq!(e.to_string(), "limit: must be an integer from 1 to 100");
    }
}
