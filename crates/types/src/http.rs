//! The contract's error envelope as an actix response: the one place errors meet HTTP.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};

pub const CORRELATION_HEADER: &str = "x-correlation-id";

#[derive(Serialize)]
struct Envelope<'a> {
    status_code: u16,
    code: ErrorCode,
    message: &'a str,
    correlation_id: &'a str,
}

/// Renders `{"status_code","code","message","correlation_id"}` with the code's status.
pub fn envelope_response(err: &ApiError, correlation_id: &str) -> HttpResponse {
    let status =
        StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
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

/// The code for a response that some layer produced without an `ApiError`
/// (the router's 404 and 405, for instance).
pub fn code_for_status(status: StatusCode) -> ApiError {
    match status.as_u16() {
        400 => ApiError::new(ErrorCode::ValidationError, "Bad request"),
        401 => ApiError::new(ErrorCode::AuthMissing, "Authentication required"),
        403 => ApiError::new(ErrorCode::Forbidden, "Forbidden"),
        404 => ApiError::new(ErrorCode::NotFound, "Not found"),
        405 => ApiError::new(
            ErrorCode::MethodNotAllowed,
            "Method not allowed on this route",
        ),
        413 => ApiError::new(ErrorCode::PayloadTooLarge, "Request body is over 1 MiB"),
        429 => ApiError::rate_limited(1),
        503 => ApiError::degraded("Service degraded"),
        _ => ApiError::internal(),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The correlation middleware re-renders this with the request's id; rendering here too keeps
    /// the envelope intact for any response that does not pass through it.
    fn error_response(&self) -> HttpResponse {
        envelope_response(self, "")
    }
}

/// A JSON body, parsed strictly: `application/json` only, at most the app's payload limit
/// (1 MiB; over it is 413), and every error names the field that failed (`tokens[1].decimals: ...`).
pub struct ValidJson<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for ValidJson<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let content_type = check_json_content_type(req);
        let body = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move {
            content_type?;
            let bytes = body.await?;
            parse_json(&bytes).map(ValidJson).map_err(Into::into)
        })
    }
}

/// Refuses a body that is not `application/json` (any parameters, such as a charset, allowed).
pub fn check_json_content_type(req: &actix_web::HttpRequest) -> Result<(), ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let essence = v.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false);
    if is_json {
        Ok(())
    } else {
        Err(ApiError::validation(
            "content-type",
            "must be application/json",
        ))
    }
}

/// Parses JSON into `T`, naming the failing field in the error.
pub fn parse_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    // Tracking the path costs an allocation per key; only a refused body needs it, so it is
    // parsed again with tracking then (the same bytes fail the same way). Like the tracked
    // parse, this one does not look past the end of the value. Checking UTF-8 once for the
    // whole body is cheaper than string by string; a body that is not UTF-8 takes the byte
    // parser, whose errors (and positions) it has always had.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => T::deserialize(&mut serde_json::Deserializer::from_str(text)),
        Err(_) => T::deserialize(&mut serde_json::Deserializer::from_slice(bytes)),
    };
    parsed.map_err(|_| parse_json_error::<T>(bytes))
}

/// The error of a body that does not parse as `T`, with the path of the failing field.
fn parse_json_error<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> ApiError {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let e = match serde_path_to_error::deserialize::<_, T>(de) {
        Err(e) => e,
        // Unreachable: the untracked parse of the same bytes failed.
        Ok(_) => return ApiError::validation("body", "is not valid JSON for this request"),
    };
    tracked_error(e)
}

/// A tracked parse's error as the envelope words it: the failing field's path and serde's
/// message.
fn tracked_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let msg = e.into_inner().to_string();
    // serde_json appends the position; the field path says more to a client.
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let field = if path == "." || path.is_empty() {
        "body".to_string()
    } else {
        path
    };
    ApiError::validation(&field, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Body<'a> {
        name: std::borrow::Cow<'a, str>,
        items: Vec<u8>,
    }

    /// The parse before the untracked fast path: always tracked, always from bytes.
    fn tracked<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map_err(tracked_error)
    }

    #[test]
    fn parses_and_refuses_exactly_as_the_tracked_byte_parse() {
        let bodies: &[&[u8]] = &[
            br#"{"name": "a", "items": [1, 2]}"#,
            br#"{"name": "a\u0062", "items": []} trailing"#,
            br#"{"name": "a", "items": [1, 300]}"#,
            br#"{"name": 5, "items": []}"#,
            br#"{"items": []}"#,
            br#"{"name": "a", "items": [1,]}"#,
            b"{\"name\": \"\xff\", \"items\": []}",
            b"{\"name\": \"a\", \"items\": []}\xff",
            b"\xfe{}",
            b"",
            b"[",
        ];
        for body in bodies {
            let fast = parse_json::<Body>(body).map_err(|e| (e.code, e.message));
            let reference = tracked::<Body>(body).map_err(|e| (e.code, e.message));
            assert_eq!(fast, reference, "{}", String::from_utf8_lossy(body));
        }
    }
}
