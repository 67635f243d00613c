//! The contract's error envelope: the one place where any crate's error becomes HTTP.
//!
//! Domain crates state the code of each of their errors ([`ContractError`]); the blanket
//! conversion below turns any of them into an [`ApiError`], which renders as
//! `{"status_code","code","message","correlation_id"}`. The error's own text is the message,
//! except for `INTERNAL_ERROR`, whose detail is logged and never sent.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use types::{ContractError, ErrorCode};

pub const CORRELATION_HEADER: &str = "x-correlation-id";

const INTERNAL_MESSAGE: &str = "Internal error; it has been logged";

/// An error as a client sees it: a code from the table and a message that says what to fix.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds, sent as `Retry-After` with `RATE_LIMITED`.
    pub retry_after: Option<u64>,
}

impl<E: ContractError> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        let code = e.code();
        let message = match code {
            ErrorCode::InternalError => {
                tracing::error!(error = %e, detail = ?e, "internal error");
                INTERNAL_MESSAGE.into()
            }
            _ => {
                if code.http_status() >= 500 {
                    tracing::warn!(error = %e, detail = ?e, "request failed");
                }
                e.to_string().into()
            }
        };
        let retry_after = match code {
            ErrorCode::RateLimited => Some(e.retry_after().unwrap_or(1).max(1)),
            _ => e.retry_after(),
        };
        ApiError {
            code,
            message,
            retry_after,
        }
    }
}

/// Failures the HTTP layer finds by itself, before or around any domain call.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("No such route")]
    NoRoute,
    /// A cross-origin preflight the CORS allow-list refuses (the CORS layer's own text).
    #[error("{0}")]
    CrossOrigin(String),
    #[error("Not ready: {0} does not answer")]
    NotReady(&'static str),
    /// A stored idempotent response that is not a JSON object (never expected).
    #[error("a stored idempotent response is not a JSON object")]
    CorruptReplay,
    /// A route registered without what its extractors need (a wiring mistake).
    #[error("the route is registered without its {0}")]
    Unwired(&'static str),
    /// The request body did not arrive within the body timeout (milliseconds).
    #[error("The request body did not arrive within {0} ms; send it at once after the headers")]
    BodyTimeout(u64),
    /// The request body could not be read (the connection failed, or its framing was broken).
    #[error("body: could not be read ({0})")]
    BodyUnreadable(String),
    /// The connection is one more than the per-source-IP cap allows.
    #[error("Too many connections from this address (at most {0}); reuse or close some")]
    TooManyConnections(usize),
    /// A response some layer produced without an error value (the router's 405, the payload
    /// limit's 413, ...): its status says which code it is.
    #[error("{}", status_message(*.0))]
    Status(StatusCode),
    /// A market's matcher could not carry out an operator's change.
    #[error(transparent)]
    Engine(engine::EngineError),
}

fn status_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad request",
        401 => "Authentication required",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed on this route",
        408 => "The request did not arrive in time",
        413 => "Request body is over 1 MiB",
        429 => "Too many requests; retry later",
        503 => "Service degraded",
        _ => INTERNAL_MESSAGE,
    }
}

impl ContractError for HttpError {
    fn code(&self) -> ErrorCode {
        match self {
            HttpError::NoRoute => ErrorCode::NotFound,
            HttpError::CrossOrigin(_) => ErrorCode::ValidationError,
            HttpError::NotReady(_) => ErrorCode::ServiceDegraded,
            HttpError::Unwired(_) | HttpError::CorruptReplay => ErrorCode::InternalError,
            HttpError::BodyTimeout(_) => ErrorCode::RequestTimeout,
            HttpError::BodyUnreadable(_) => ErrorCode::ValidationError,
            HttpError::TooManyConnections(_) => ErrorCode::RateLimited,
            HttpError::Engine(engine::EngineError::Unavailable | engine::EngineError::Stopped) => {
                ErrorCode::ServiceDegraded
            }
            HttpError::Engine(_) => ErrorCode::InternalError,
            HttpError::Status(status) => match status.as_u16() {
                400 => ErrorCode::ValidationError,
                401 => ErrorCode::AuthMissing,
                403 => ErrorCode::Forbidden,
                404 => ErrorCode::NotFound,
                405 => ErrorCode::MethodNotAllowed,
                408 => ErrorCode::RequestTimeout,
                413 => ErrorCode::PayloadTooLarge,
                429 => ErrorCode::RateLimited,
                503 => ErrorCode::ServiceDegraded,
                _ => ErrorCode::InternalError,
            },
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    status_code: u16,
    code: ErrorCode,
    message: &'a str,
    correlation_id: &'a str,
}

fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Renders `{"status_code","code","message","correlation_id"}` with the code's status.
pub fn envelope_response(err: &ApiError, correlation_id: &str) -> HttpResponse {
    let status = status_of(err.code);
    let body = Envelope {
        status_code: status.as_u16(),
        code: err.code,
        message: &err.message,
        correlation_id,
    };
    let mut res = HttpResponse::build(status);
    if let Some(secs) = err.retry_after {
        res.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    if let Ok(v) = HeaderValue::from_str(correlation_id) {
        res.insert_header((CORRELATION_HEADER, v));
    }
    res.json(body)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code)
    }

    /// The correlation middleware re-renders this with the request's id; rendering here too keeps
    /// the envelope intact for any response that does not pass through it.
    fn error_response(&self) -> HttpResponse {
        envelope_response(self, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::InvalidField;

    #[derive(Debug, thiserror::Error)]
    #[error("connection to 10.0.0.7:5432 refused")]
    struct Leaky;

    impl ContractError for Leaky {
        fn code(&self) -> ErrorCode {
            ErrorCode::InternalError
        }
    }

    #[test]
    fn an_internal_error_never_shows_its_text() {
        let api = ApiError::from(Leaky);
        assert_eq!(api.code, ErrorCode::InternalError);
        assert_eq!(api.message, INTERNAL_MESSAGE);
    }

    #[test]
    fn any_other_error_shows_its_own_text() {
        let api = ApiError::from(InvalidField::new(
            "limit",
            "must be an integer from 1 to 100",
        ));
        assert_eq!(api.code, ErrorCode::ValidationError);
        assert_eq!(api.message, "limit: must be an integer from 1 to 100");
        assert_eq!(api.retry_after, None);
    }

    #[test]
    fn rate_limited_always_says_when_to_retry() {
        assert_eq!(
            ApiError::from(HttpError::Status(StatusCode::TOO_MANY_REQUESTS)).retry_after,
            Some(1)
        );
    }

    #[test]
    fn every_status_without_an_error_gets_its_code() {
        for (status, code) in [
            (405, ErrorCode::MethodNotAllowed),
            (413, ErrorCode::PayloadTooLarge),
            (418, ErrorCode::InternalError),
        ] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(ApiError::from(HttpError::Status(status)).code, code);
        }
    }
}
