//! JSON request bodies: `application/json` only, parsed with the failing field named.

use actix_web::http::header;
use types::json::parse_json;
use types::InvalidField;

use crate::error::ApiError;

/// A JSON body, parsed strictly: `application/json` only, at most the app's payload limit
/// (1 MiB; over it is 413), one JSON object with nothing after it, no `null` for an optional
/// field, no NUL in any text (`types::json`), and every error names the field that failed
/// (`tokens[1].decimals: ...`) or, for a syntax error, the position.
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
            content_type.map_err(ApiError::from)?;
            let bytes = body.await?;
            parse_json(&bytes)
                .map(ValidJson)
                .map_err(|e| ApiError::from(e).into())
        })
    }
}

/// Refuses a body that is not `application/json` (any parameters, such as a charset, allowed).
pub fn check_json_content_type(req: &actix_web::HttpRequest) -> Result<(), InvalidField> {
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
        Err(InvalidField::new(
            "content-type",
            "must be application/json",
        ))
    }
}
