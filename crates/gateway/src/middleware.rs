//! The layer every request passes through: correlation id in, envelope and metrics out.
//!
//! Whatever produced an error (a handler's `ApiError`, an extractor, the router's 404 or 405,
//! the payload limit), it leaves here as the contract's envelope carrying the request's
//! correlation id, which is also echoed as a header on every response.

use std::time::Instant;

use crate::error::{envelope_response, ApiError, HttpError, CORRELATION_HEADER};
use crate::metrics::Metrics;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE,
};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{web, Error};
use rand::Rng;

/// A client's id is echoed when it is short printable ASCII; anything else is replaced,
/// so a header cannot inject into logs or responses.
fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:032x}", rand::rng().random::<u128>()))
}

fn describes_body(name: &HeaderName) -> bool {
    [CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING].contains(name)
}

pub async fn envelope_and_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let correlation_id = correlation_id(req.headers());
    // The router turns every handler and extractor error into a response, so an `Err` here
    // could come only from a layer inside this one; there is none. (Cloning the request to
    // build a response for it would break routing, which needs the request uniquely owned.)
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let mut res = if status.is_client_error() || status.is_server_error() {
        let api_error = match res.response().error() {
            Some(err) => match err.as_error::<ApiError>() {
                Some(api) => api.clone(),
                None if err.as_error::<actix_cors::CorsError>().is_some() => {
                    ApiError::from(HttpError::CrossOrigin(err.to_string()))
                }
                None => {
                    if status.is_server_error() {
                        tracing::error!(%correlation_id, error = %err, "request failed");
                    }
                    ApiError::from(HttpError::Status(status))
                }
            },
            None => ApiError::from(HttpError::Status(status)),
        };
        if status.is_server_error() {
            tracing::warn!(%correlation_id, code = %api_error.code, "answered with a server error");
        }
        let mut envelope = envelope_response(&api_error, &correlation_id);
        // The envelope replaces the body only: headers set on the way out (`Allow` on a 405,
        // the CORS headers) stay, except those that described the replaced body.
        for (name, value) in res.headers() {
            if !envelope.headers().contains_key(name) && !describes_body(name) {
                envelope.headers_mut().append(name.clone(), value.clone());
            }
        }
        // A layer that refused the request may have asked for the connection to close and
        // attached what must live until the response is sent (body_read::close_after).
        if res.response().head().connection_type() == ConnectionType::Close {
            envelope
                .head_mut()
                .set_connection_type(ConnectionType::Close);
        }
        let attached = std::mem::take(&mut *res.response_mut().extensions_mut());
        envelope.extensions_mut().extend(attached);
        res.into_response(envelope)
    } else {
        res
    };
    if let Ok(v) = HeaderValue::from_str(&correlation_id) {
        res.headers_mut()
            .insert(HeaderName::from_static(CORRELATION_HEADER), v);
    }
    if let Some(metrics) = res.request().app_data::<web::Data<Metrics>>() {
        metrics.observe(
            res.request().match_pattern().as_deref(),
            res.request().method(),
            res.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(crate::body_read::hold_unread_body(res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_correlation_ids_are_replaced() {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static(CORRELATION_HEADER),
            HeaderValue::from_static("abc-123"),
        );
        assert_eq!(correlation_id(&h), "abc-123");
        h.insert(
            HeaderName::from_static(CORRELATION_HEADER),
            HeaderValue::from_static("a b\"c"),
        );
        let generated = correlation_id(&h);
        assert_eq!(generated.len(), 32);
        assert!(generated.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
