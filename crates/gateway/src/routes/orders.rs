//! The order routes of docs/api.md 6: thin handlers that read the request, call
//! [`OrderService`] and render.
//!
//! Each route declares its tier where it is registered; the tier guard enforces it and hands
//! the handler the caller's [`Principal`].

use actix_web::http::header::ContentType;
use actix_web::{web, HttpRequest, HttpResponse};
use auth::{Access, Permission};
use orders::request::{
    idempotency_key, market_filter, order_hash, parse_place_body, status_group, CancelBody,
    IDEMPOTENCY_HEADER,
};
use orders::{request_hash, IdempotencyKey, OrderService, OrdersQuery, Placed};
use serde::Deserialize;
use types::cursor::parse_limit;
use types::Timestamp;

use crate::error::{ApiError, HttpError};
use crate::extractors::auth::{require, Caller};
use crate::extractors::json::check_json_content_type;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let read = || require(Access::L2(Permission::Read));
    let trade = || require(Access::L2(Permission::Trade));
    cfg.service(
        web::resource("/v1/orders")
            .route(web::post().to(place_orders).wrap(trade()))
            .route(super::get_or_head().to(list_orders).wrap(read())),
    )
    .service(web::resource("/v1/orders/cancel").route(web::post().to(cancel_orders).wrap(trade())))
    .service(
        web::resource("/v1/orders/{order_hash}")
            .route(super::get_or_head().to(get_order).wrap(read())),
    )
    .service(
        web::resource("/v1/orders/{order_hash}/cancel-onchain")
            .route(web::post().to(cancel_onchain).wrap(trade())),
    );
}

async fn place_orders(
    Caller(principal): Caller,
    svc: web::Data<OrderService>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    check_json_content_type(&req)?;
    let parsed = parse_place_body(&body)?;
    let key = match req.headers().get(IDEMPOTENCY_HEADER) {
        Some(raw) => Some(idempotency_key(raw.as_bytes())?),
        None => None,
    };
    // Hashing a 15-order body costs as much as parsing it; only a keyed request needs it.
    let hash = key.map(|_| request_hash(&body));
    let idempotency = key.zip(hash.as_deref()).map(|(key, hash)| IdempotencyKey {
        key,
        request_hash: hash,
    });
    match svc
        .place_orders(
            principal.wallet,
            &parsed.orders,
            idempotency,
            Timestamp::now(),
        )
        .await?
    {
        Placed::Fresh(response) => Ok(HttpResponse::Ok().json(response)),
        Placed::Replayed(stored) => Ok(HttpResponse::Ok()
            .insert_header(ContentType::json())
            .body(mark_replayed(&stored)?)),
    }
}

/// The stored response, byte for byte, with `"_idempotent_replayed":true` added as its last
/// member. Spliced in rather than re-serialized: a parsed `serde_json::Value` would come back
/// with its keys sorted, no longer the bytes the first request was answered with.
fn mark_replayed(stored: &str) -> Result<String, ApiError> {
    const MARK: &str = "\"_idempotent_replayed\":true}";
    let Some(members) = stored.strip_suffix('}').filter(|_| stored.starts_with('{')) else {
        return Err(HttpError::CorruptReplay.into());
    };
    let separator = if members.trim_end() == "{" { "" } else { "," };
    Ok(format!("{members}{separator}{MARK}"))
}

#[derive(Deserialize, Default)]
struct OrdersParams {
    condition_id: Option<String>,
    chain_id: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

async fn list_orders(
    Caller(principal): Caller,
    svc: web::Data<OrderService>,
    q: web::Query<OrdersParams>,
) -> Result<HttpResponse, ApiError> {
    let query = OrdersQuery {
        market: market_filter(q.condition_id.as_deref(), q.chain_id.as_deref())?,
        status: status_group(q.status.as_deref())?,
        cursor: q.cursor.clone(),
        limit: parse_limit(q.limit.as_deref(), 20)?,
    };
    Ok(HttpResponse::Ok().json(svc.list_orders(principal.wallet, &query).await?))
}

async fn get_order(
    Caller(principal): Caller,
    svc: web::Data<OrderService>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash = order_hash(&path)?;
    Ok(HttpResponse::Ok().json(svc.order(principal.wallet, &hash).await?))
}

async fn cancel_orders(
    Caller(principal): Caller,
    svc: web::Data<OrderService>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // A body is required: `{}` (all open orders) must be said, never implied by a missing body.
    check_json_content_type(&req)?;
    let selection = CancelBody::parse(&body)?;
    Ok(HttpResponse::Ok().json(svc.cancel_orders(principal.wallet, &selection).await?))
}

async fn cancel_onchain(
    Caller(principal): Caller,
    svc: web::Data<OrderService>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash = order_hash(&path)?;
    Ok(HttpResponse::Ok().json(svc.cancel_onchain(principal.wallet, &hash).await?))
}

#[cfg(test)]
mod tests {
    use super::mark_replayed;

    #[test]
    fn a_replay_is_the_stored_bytes_with_the_mark_appended() {
        let stored = r#"{"results":[{"order_hash":"0x01","status":"OPEN"}]}"#;
        assert_eq!(
            mark_replayed(stored).unwrap(),
            r#"{"results":[{"order_hash":"0x01","status":"OPEN"}],"_idempotent_replayed":true}"#
        );
        assert_eq!(
            mark_replayed("{}").unwrap(),
            r#"{"_idempotent_replayed":true}"#
        );
        for not_an_object in ["", "[]", "{\"results\":[]", "null"] {
            assert!(mark_replayed(not_an_object).is_err(), "{not_an_object:?}");
        }
    }
}
