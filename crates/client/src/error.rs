//! The one error type of the SDK, and the parser of the contract's error envelope.

use std::borrow::Cow;
use std::error::Error as _;
use std::fmt;
use std::time::Duration;

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
    /// No answer came back from the gateway: the connection failed or the answer did not
    /// arrive in time. `url` is the gateway's base URL, as given to `Client::new`.
    #[error("cannot reach {url} ({cause})")]
    Unreachable {
        url: String,
        cause: ConnectionFailure,
        #[source]
        source: reqwest::Error,
    },
    /// Any other failure of the HTTP layer (the message carries reqwest's chain of causes).
    #[error("transport: {0}{chain}", chain = chain(.0))]
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

/// Why a request got no answer, for the message and for a bot that retries on some causes only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionFailure {
    /// Nothing listens at the address (or a firewall rejects the connection).
    Refused,
    /// No complete answer within the client's timeout (`Client::with_timeout`).
    TimedOut(Duration),
    /// The host name did not resolve.
    Dns { host: String },
    /// The TLS handshake failed: an untrusted certificate, or `https://` on a plain HTTP port.
    Tls(String),
    /// Any other failure to connect (network unreachable, reset, ...), as the OS reported it.
    Other(String),
}

impl fmt::Display for ConnectionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionFailure::Refused => f.write_str("connection refused"),
            ConnectionFailure::TimedOut(d) if d.subsec_millis() == 0 => {
                write!(f, "timed out after {} s", d.as_secs())
            }
            ConnectionFailure::TimedOut(d) => write!(f, "timed out after {} ms", d.as_millis()),
            ConnectionFailure::Dns { host } => write!(f, "could not resolve host {host}"),
            ConnectionFailure::Tls(reason) => write!(f, "TLS handshake failed: {reason}"),
            ConnectionFailure::Other(reason) => f.write_str(reason),
        }
    }
}

/// `: <cause>: <cause>...`: reqwest's own text names the URL but none of the causes.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = String::new();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

impl ClientError {
    /// Classifies a failed request: `Unreachable` with its cause when no answer came back from
    /// `url` (the gateway's base URL) within `timeout`, else `Transport`.
    pub(crate) fn transport(source: reqwest::Error, url: &str, timeout: Duration) -> ClientError {
        let cause = if source.is_timeout() {
            ConnectionFailure::TimedOut(timeout)
        } else if source.is_connect() {
            connect_failure(&source, url)
        } else {
            return ClientError::Transport(source);
        };
        ClientError::Unreachable {
            url: url.to_owned(),
            cause,
            source,
        }
    }

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

/// The cause of a failed connection, read from reqwest's chain of errors: the innermost
/// `io::Error` says refused, or carries rustls' error when the TLS handshake failed; a failed
/// resolution is hyper-util's `ConnectError` with the text "dns error", a type it does not
/// export.
fn connect_failure(e: &reqwest::Error, url: &str) -> ConnectionFailure {
    let mut dns = false;
    let mut io = None;
    let mut next = e.source();
    while let Some(cause) = next {
        dns |= cause.to_string() == "dns error";
        if let Some(err) = cause.downcast_ref::<std::io::Error>() {
            io = Some(err);
        }
        next = cause.source();
    }
    if dns {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| url.to_owned());
        return ConnectionFailure::Dns { host };
    }
    let Some(io) = io else {
        return ConnectionFailure::Other(chain(e).trim_start_matches(": ").to_owned());
    };
    if io.kind() == std::io::ErrorKind::ConnectionRefused {
        return ConnectionFailure::Refused;
    }
    match tls_error(io) {
        Some(tls) => ConnectionFailure::Tls(tls.to_string()),
        None => ConnectionFailure::Other(io.to_string()),
    }
}

/// rustls' error inside `io`: hyper-rustls wraps tokio-rustls' `io::Error` in another one, and
/// `io::Error::source` skips the wrapped error itself, so the walk goes through `get_ref`.
fn tls_error(io: &std::io::Error) -> Option<&rustls::Error> {
    let inner = io.get_ref()?;
    match inner.downcast_ref::<std::io::Error>() {
        Some(io) => tls_error(io),
        None => inner.downcast_ref::<rustls::Error>(),
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
