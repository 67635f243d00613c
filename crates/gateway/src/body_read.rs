//! Request bodies are read in bounded time, on every route, before any handler runs.
//!
//! A client that announces a body and sends it a byte at a time would otherwise hold its
//! connection (and a file descriptor) for as long as it likes: actix bounds the time to the
//! end of the first request's headers, never a body's. Here a body is read whole within the
//! body timeout (`FS_BODY_TIMEOUT_MS`, counted from the end of the headers) and at most
//! `MAX_BODY_BYTES`, then handed to the route as it arrived; one that is late answers 408
//! `REQUEST_TIMEOUT`, one that is too large 413 `PAYLOAD_TOO_LARGE`, and either way the
//! connection is closed.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::{header, ConnectionType};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage};
use futures_util::{Stream, StreamExt};

use crate::app::MAX_BODY_BYTES;
use crate::error::{ApiError, HttpError};

/// How long a body may take from the end of the request's headers, unless configured.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The configured body timeout, as app data.
#[derive(Clone, Copy, Debug)]
pub struct BodyTimeout(pub Duration);

/// A request's unread body, kept alive until its refusal has been sent.
///
/// While the request's payload is alive when the response ends, actix sees an unread body and
/// closes the connection. Once it is dropped, actix would instead read a chunked body to its
/// end before closing, on the client's schedule, which is what the timeout exists to prevent.
/// It rides in the response's extensions through the layers (the envelope is rendered anew),
/// then in the body ([`hold_unread_body`]), which lives until the response has been written.
struct UnreadBody(Payload);

/// Answers `err` and closes the connection without reading any more of the request.
pub fn close_after(mut req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    let payload = req.take_payload();
    let mut res = req.error_response(err);
    res.response_mut()
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    res.response_mut()
        .extensions_mut()
        .insert(UnreadBody(payload));
    res
}

/// The last step of the outermost layer: moves an unread request body from the response's
/// extensions into its body (see [`UnreadBody`]).
pub fn hold_unread_body(mut res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let unread = res.response_mut().extensions_mut().remove::<UnreadBody>();
    match unread {
        None => res,
        Some(unread) => res.map_body(|_, body| {
            BoxBody::new(Holding {
                body,
                _unread: unread.0,
            })
        }),
    }
}

/// A response body that keeps the request's payload alive while it is written.
struct Holding {
    body: BoxBody,
    _unread: Payload,
}

impl MessageBody for Holding {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

enum BodyError {
    TooLarge,
    Unreadable(String),
}

/// Reads the body of any request that has one, within the body timeout, before the routes see
/// it; requests without a body pass straight through.
pub async fn read_in_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut payload = req.take_payload();
    if matches!(payload, Payload::None) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        req.set_payload(payload);
        return Ok(close_after(req, too_large()));
    }
    let timeout = req
        .app_data::<BodyTimeout>()
        .map_or(DEFAULT_BODY_TIMEOUT, |t| t.0);
    let read = async {
        // The chunks are kept as they arrived and replayed to the route, which copies them
        // into one buffer as it would have anyway.
        let mut chunks = Vec::new();
        let mut total = 0usize;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| BodyError::Unreadable(e.to_string()))?;
            total += chunk.len();
            if total > MAX_BODY_BYTES {
                return Err(BodyError::TooLarge);
            }
            chunks.push(chunk);
        }
        Ok(chunks)
    };
    let refusal = match tokio::time::timeout(timeout, read).await {
        Ok(Ok(chunks)) => {
            req.set_payload(replay(chunks));
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body);
        }
        Ok(Err(BodyError::TooLarge)) => too_large(),
        Ok(Err(BodyError::Unreadable(reason))) => ApiError::from(HttpError::BodyUnreadable(reason)),
        Err(_) => ApiError::from(HttpError::BodyTimeout(
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        )),
    };
    req.set_payload(payload);
    Ok(close_after(req, refusal))
}

fn too_large() -> ApiError {
    ApiError::from(HttpError::Status(StatusCode::PAYLOAD_TOO_LARGE))
}

fn replay(chunks: Vec<Bytes>) -> Payload {
    if chunks.is_empty() {
        return Payload::None;
    }
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(futures_util::stream::iter(chunks.into_iter().map(Ok)));
    Payload::from(stream)
}
