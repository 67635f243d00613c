//! The operators' routes (docs/api.md 10, "Admin API"): create and change markets, credit
//! balances. Registered only when `FS_ADMIN_TOKEN` is set; every handler takes [`Admin`] first,
//! so a caller without the token learns nothing from body validation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use engine::Engine;
use market_data::admin::{CreateMarket, CreditBalance, UpdateMarket};
use market_data::params::MarketQuery;
use market_data::MarketData;

use types::MarketKey;

use crate::error::{ApiError, HttpError};
use crate::extractors::admin::Admin;
use crate::extractors::json::ValidJson;
use crate::routes::markets::json_text;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/v1/markets").route(web::post().to(create_market)))
        .service(
            web::resource("/admin/v1/markets/{condition_id}").route(web::patch().to(update_market)),
        )
        .service(web::resource("/admin/v1/balances").route(web::post().to(credit_balance)));
}

async fn create_market(
    _: Admin,
    md: web::Data<MarketData>,
    engine: web::Data<Engine>,
    body: ValidJson<CreateMarket>,
) -> Result<HttpResponse, ApiError> {
    let (record, market) = md.create_market(body.0).await?;
    // A market created OPEN trades at once: its matcher runs before the answer.
    engine
        .add_market(&record)
        .await
        .map_err(HttpError::Engine)?;
    Ok(json_text(StatusCode::CREATED, market))
}

async fn update_market(
    _: Admin,
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
    engine: web::Data<Engine>,
    body: ValidJson<UpdateMarket>,
) -> Result<HttpResponse, ApiError> {
    let (record, market) = md.update_market(&path, &q, body.0).await?;
    // The status reaches the book before the answer: a closed market's orders are cancelled.
    let key = MarketKey {
        condition_id: record.condition_id,
        chain_id: record.chain_id,
    };
    engine
        .set_status(key, record.status)
        .await
        .map_err(HttpError::Engine)?;
    Ok(json_text(StatusCode::OK, market))
}

async fn credit_balance(
    _: Admin,
    md: web::Data<MarketData>,
    body: ValidJson<CreditBalance>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(md.credit_balance(body.0).await?))
}
