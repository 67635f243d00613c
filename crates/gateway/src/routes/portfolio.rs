//! A wallet's reads of what its orders did, docs/api.md 6.8 and 6.9: its fills and its
//! positions. Thin handlers, as the order routes: read the query, call [`OrderService`],
//! render.

use actix_web::{web, HttpResponse};
use auth::{Access, Permission};
use orders::request::market_filter;
use orders::{FillsQuery, OrderService};
use serde::Deserialize;
use types::cursor::parse_limit;

use crate::error::ApiError;
use crate::extractors::auth::{require, Caller};

pub fn configure(cfg: &mut web::ServiceConfig) {
    let read = || require(Access::L2(Permission::Read));
    cfg.service(web::resource("/v1/fills").route(super::get_or_head().to(list_fills).wrap(read())))
        .service(
            web::resource("/v1/positions").route(super::get_or_head().to(positions).wrap(read())),
        );
}

#[derive(Deserialize, Default)]
struct FillsParams {
    condition_id: Option<String>,
    chain_id: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

async fn list_fills(
    Caller(principal): Caller,
    svc: web::Data<OrderService>,
    q: web::Query<FillsParams>,
) -> Result<HttpResponse, ApiError> {
    let query = FillsQuery {
        market: market_filter(q.condition_id.as_deref(), q.chain_id.as_deref())?,
        cursor: q.cursor.clone(),
        limit: parse_limit(q.limit.as_deref(), 20)?,
    };
    Ok(HttpResponse::Ok().json(svc.fills(principal.wallet, &query).await?))
}

#[derive(Deserialize, Default)]
struct PositionsParams {
    condition_id: Option<String>,
    chain_id: Option<String>,
}

async fn positions(
    Caller(principal): Caller,
    svc: web::Data<OrderService>,
    q: web::Query<PositionsParams>,
) -> Result<HttpResponse, ApiError> {
    let market = market_filter(q.condition_id.as_deref(), q.chain_id.as_deref())?;
    Ok(HttpResponse::Ok().json(svc.positions(principal.wallet, market).await?))
}
