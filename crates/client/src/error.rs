//! The one error type of the SDK, and the parser of the contract's error envelope.

use std::borrow::Cow;

use types::responses::ErrorEnvelope;
use types::ErrorCode;

/// Everything that can go wrong between a bot and the gateway.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The gateway answered with the contract's envelope (docs/api.md 1.4).
    #[error("{code} (HTTP {status}): {message} [correlation_id {}]", correlation_id.as_deref().unwrap_or("-"))]
    Api {
        status: u16,
        /// The contract's code, as sent (`AUTH_INVALID`, `RATE_LIMITED`, ...).
        code: String,
        message: String,
        correlation_id: Option<String>,
        /// Seconds, from `Retry-After` (sent with `RATE_LIMITED`).
        retry_after: Option<u64>,
    },
    /// A non-2xx answer without the envelope (a proxy in between, a gateway that is not one).
    #[error("HTTP {status} without an error envelope: {body}")]
    UnexpectedStatus { status: u16, body: String },
    /// A 2xx answer whose body is not the documented shape.
    #[error("response body does not have the expected shape: {0}")]
    Decode(#[source] serde_json::Error),
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
    /// An authenticated route was called without an API key pair or a JWT.
    #[error("no credentials: set an API key pair (FS_API_KEY + FS_API_SECRET) or a JWT (FS_JWT)")]
    MissingCredentials,
    /// A value given to the SDK is unusable; the message names the field and never its value
    /// when the field is a secret.
    #[error("{field}: {reason}")]
    Invalid {
        field: Cow<'static, str>,
        reason: Cow<'static, str>,
    },
    /// The operating system's random number generator failed (no salt can be drawn).
    #[error("the OS random number generator failed: {0}")]
    Rng(String),
}

impl ClientError {
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> ClientError {
        ClientError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The contract's code of an API error, when it is one this SDK knows.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { code, .. } => ErrorCode::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == code.as_str()),
            _ => None,
        }
    }

    /// The gateway's correlation id of a failed request, to quote when reporting a problem.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            ClientError::Api { correlation_id, .. } => correlation_id.as_deref(),
            _ => None,
        }
    }

    /// Maps a non-2xx response to the typed error: the envelope when the body is one, else
    /// the status and the start of the body. `header_correlation_id` is the
    /// `x-correlation-id` response header, used when the body carries none.
    pub fn from_response(
        status: u16,
        body: &[u8],
        header_correlation_id: Option<&str>,
        retry_after: Option<u64>,
    ) -> ClientError {
        match serde_json::from_slice::<ErrorEnvelope>(body) {
            Ok(env) => ClientError::Api {
                status,
                code: env.code,
                message: env.message,
                correlation_id: env
                    .correlation_id
                    .or_else(|| header_correlation_id.map(str::to_owned)),
                retry_after,
            },
            Err(_) => {
                const MAX_BODY: usize = 512;
                let text = String::from_utf8_lossy(body);
                let body = match text.char_indices().nth(MAX_BODY) {
                    Some((cut, _)) => format!("{}...", &text[..cut]),
                    None => text.into_owned(),
                };
                ClientError::UnexpectedStatus { status, body }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_401_envelope_becomes_the_typed_api_error() {
        let body = br#"{"status_code":401,"code":"AUTH_INVALID","message":"Unknown API key","correlation_id":"c-123"}"#;
        let err = ClientError::from_response(401, body, Some("header-id"), None);
        match &err {
            ClientError::Api {
                status,
                code,
                message,
                correlation_id,
                retry_after,
            } => {
                assert_eq!(*status, 401);
                assert_eq!(code, "AUTH_INVALID");
                assert_eq!(message, "Unknown API key");
                assert_eq!(correlation_id.as_deref(), Some("c-123"));
                assert_eq!(*retry_after, None);
            }
            other => panic!("expected Api, got {other:?}"),
        }
        assert_eq!(err.error_code(), Some(ErrorCode::AuthInvalid));
        assert_eq!(err.correlation_id(), Some("c-123"));
        assert_eq!(
            err.to_string(),
            "AUTH_INVALID (HTTP 401): Unknown API key [correlation_id c-123]"
        );
    }

    #[test]
    fn the_header_correlation_id_fills_in_and_unknown_codes_are_kept() {
        let body = br#"{"status_code":418,"code":"TEAPOT","message":"short and stout"}"#;
        let err = ClientError::from_response(418, body, Some("h-9"), Some(3));
        assert_eq!(err.correlation_id(), Some("h-9"));
        assert_eq!(err.error_code(), None);
        assert!(matches!(
            err,
            ClientError::Api { ref code, retry_after: Some(3), .. } if code == "TEAPOT"
        ));
    }

    #[test]
    fn a_body_that_is_not_an_envelope_is_reported_with_its_status() {
        let err = ClientError::from_response(502, b"<html>Bad Gateway</html>", None, None);
        assert!(matches!(
            err,
            ClientError::UnexpectedStatus { status: 502, ref body } if body == "<html>Bad Gateway</html>"
        ));
        let long = "x".repeat(2000);
        match ClientError::from_response(500, long.as_bytes(), None, None) {
            ClientError::UnexpectedStatus { body, .. } => assert_eq!(body.len(), 515),
            other => panic!("expected UnexpectedStatus, got {other:?}"),
        }
    }
}
