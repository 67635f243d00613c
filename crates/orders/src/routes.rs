//! The order routes of section 5.2: thin handlers that parse, call [`OrderService`] and map.
//!
//! Each route declares its tier where it is registered; the auth guard enforces it and hands
//! the handler the caller's [`Principal`].

use actix_web::http::header::ContentType;
use actix_web::{web, HttpRequest, HttpResponse};
use auth::{require, Access, Permission, Principal};
use serde::Deserialize;
use types::cursor::parse_limit;
use types::http::{check_json_content_type, parse_json};
use types::{
    ApiError, ChainId, ConditionId, ErrorCode, MarketKey, OrderHash, Outcome, Side, Timestamp,
};

use crate::service::{
    request_hash, IdempotencyKey, OrderService, OrdersQuery, Placed, StatusGroup,
};
use crate::wire::WireItem;
use store::cancels::CancelSelection;

/// At most this many orders in one `POST /v1/orders`.
pub const MAX_ORDERS_PER_REQUEST: usize = 15;
/// At most this many hashes in one `POST /v1/orders/cancel`.
pub const MAX_CANCEL_HASHES: usize = 100;
const IDEMPOTENCY_HEADER: &str = "fs-idempotency-key";

pub fn configure(cfg: &mut web::ServiceConfig) {
    let read = || require(Access::L2(Permission::Read));
    let trade = || require(Access::L2(Permission::Trade));
    cfg.service(
        web::resource("/v1/orders")
            .route(web::post().to(place_orders).wrap(trade()))
            .route(web::get().to(list_orders).wrap(read())),
    )
    .service(web::resource("/v1/orders/cancel").route(web::post().to(cancel_orders).wrap(trade())))
    .service(web::resource("/v1/orders/{order_hash}").route(web::get().to(get_order).wrap(read())))
    .service(
        web::resource("/v1/orders/{order_hash}/cancel-onchain")
            .route(web::post().to(cancel_onchain).wrap(trade())),
    );
}

/// The body of `POST /v1/orders`; the items borrow their strings from the body.
#[derive(Deserialize)]
pub struct PlaceBody<'a> {
    #[serde(borrow)]
    pub orders: Vec<WireItem<'a>>,
}

/// Parses a `POST /v1/orders` body and checks the batch size (1..=15 items).
pub fn parse_place_body(body: &[u8]) -> Result<PlaceBody<'_>, ApiError> {
    let parsed: PlaceBody = parse_json(body)?;
    if parsed.orders.is_empty() {
        return Err(ApiError::validation(
            "orders",
            "must hold at least one order",
        ));
    }
    if parsed.orders.len() > MAX_ORDERS_PER_REQUEST {
        return Err(ApiError::new(
            ErrorCode::BatchSizeExceeded,
            format!("orders: at most {MAX_ORDERS_PER_REQUEST} orders per request"),
        ));
    }
    Ok(parsed)
}

/// A client's idempotency key: 1..=128 printable ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    match raw.to_str() {
        Ok(k) if (1..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(k))
        }
        _ => Err(ApiError::validation(
            IDEMPOTENCY_HEADER,
            "must be 1 to 128 printable ASCII characters",
        )),
    }
}

async fn place_orders(
    principal: Principal,
    svc: web::Data<OrderService>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    check_json_content_type(&req)?;
    let parsed = parse_place_body(&body)?;
    let key = idempotency_key(&req)?;
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
        tracing::error!("stored idempotent response is not a JSON object");
        return Err(ApiError::internal());
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

fn market_filter(
    condition_id: Option<&str>,
    chain_id: Option<&str>,
) -> Result<Option<MarketKey>, ApiError> {
    match (condition_id, chain_id) {
        (None, None) => Ok(None),
        (Some(c), Some(n)) => Ok(Some(MarketKey {
            condition_id: c
                .parse()
                .map_err(|e| ApiError::validation("condition_id", e))?,
            chain_id: n.parse().map_err(|e| ApiError::validation("chain_id", e))?,
        })),
        (Some(_), None) => Err(ApiError::validation(
            "chain_id",
            "is required with condition_id",
        )),
        (None, Some(_)) => Err(ApiError::validation(
            "condition_id",
            "is required with chain_id",
        )),
    }
}

async fn list_orders(
    principal: Principal,
    svc: web::Data<OrderService>,
    q: web::Query<OrdersParams>,
) -> Result<HttpResponse, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => StatusGroup::default(),
        Some(s) => s.parse().map_err(|_| {
            ApiError::validation("status", "must be open, filled, cancelled or all")
        })?,
    };
    let query = OrdersQuery {
        market: market_filter(q.condition_id.as_deref(), q.chain_id.as_deref())?,
        status,
        cursor: q.cursor.clone(),
        limit: parse_limit(q.limit.as_deref(), 20)?,
    };
    Ok(HttpResponse::Ok().json(svc.list_orders(principal.wallet, &query).await?))
}

fn order_hash(raw: &str) -> Result<OrderHash, ApiError> {
    raw.parse()
        .map_err(|e| ApiError::validation("order_hash", e))
}

async fn get_order(
    principal: Principal,
    svc: web::Data<OrderService>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash = order_hash(&path)?;
    Ok(HttpResponse::Ok().json(svc.order(principal.wallet, &hash).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    order_hashes: Option<Vec<OrderHash>>,
    condition_id: Option<ConditionId>,
    chain_id: Option<ChainId>,
    outcome: Option<Outcome>,
    side: Option<Side>,
}

impl CancelBody {
    fn selection(self) -> Result<CancelSelection, ApiError> {
        let filtered = self.condition_id.is_some()
            || self.chain_id.is_some()
            || self.outcome.is_some()
            || self.side.is_some();
        if let Some(hashes) = self.order_hashes {
            if filtered {
                return Err(ApiError::validation(
                    "order_hashes",
                    "cannot be combined with a filter",
                ));
            }
            if hashes.len() > MAX_CANCEL_HASHES {
                return Err(ApiError::new(
                    ErrorCode::BatchSizeExceeded,
                    format!("order_hashes: at most {MAX_CANCEL_HASHES} hashes per request"),
                ));
            }
            return Ok(CancelSelection::Hashes(hashes));
        }
        let market = match (self.condition_id, self.chain_id) {
            (None, None) => None,
            (Some(condition_id), Some(chain_id)) if chain_id.0 > 0 => Some(MarketKey {
                condition_id,
                chain_id,
            }),
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "chain_id",
                    "must be a positive integer",
                ))
            }
            (Some(_), None) => {
                return Err(ApiError::validation(
                    "chain_id",
                    "is required with condition_id",
                ))
            }
            (None, Some(_)) => {
                return Err(ApiError::validation(
                    "condition_id",
                    "is required with chain_id",
                ))
            }
        };
        Ok(CancelSelection::Matching {
            market,
            outcome: self.outcome,
            side: self.side,
        })
    }
}

async fn cancel_orders(
    principal: Principal,
    svc: web::Data<OrderService>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // A body is required: `{}` (all open orders) must be said, never implied by a missing body.
    check_json_content_type(&req)?;
    let selection = parse_json::<CancelBody>(&body)?.selection()?;
    Ok(HttpResponse::Ok().json(
        svc.cancel_orders(principal.wallet, &selection, Timestamp::now())
            .await?,
    ))
}

async fn cancel_onchain(
    principal: Principal,
    svc: web::Data<OrderService>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash = order_hash(&path)?;
    Ok(HttpResponse::Ok().json(
        svc.cancel_onchain(principal.wallet, &hash, Timestamp::now())
            .await?,
    ))
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
