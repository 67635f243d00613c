//! The L0 routes of docs/api.md 3: markets, tokens, book, ticker, trades.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpRequest, HttpResponse};
use market_data::params::MarketQuery;
use market_data::MarketData;

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/markets").route(super::get_or_head().to(list_markets)))
        .service(
            web::resource("/v1/markets/{condition_id}").route(super::get_or_head().to(get_market)),
        )
        .service(
            web::resource("/v1/markets/{condition_id}/tokens")
                .route(super::get_or_head().to(get_tokens)),
        )
        .service(
            web::resource("/v1/markets/{condition_id}/book")
                .route(super::get_or_head().to(get_book)),
        )
        .service(
            web::resource("/v1/markets/{condition_id}/ticker")
                .route(super::get_or_head().to(get_ticker)),
        )
        .service(
            web::resource("/v1/markets/{condition_id}/trades")
                .route(super::get_or_head().to(get_trades)),
        );
}

/// `X-Language`: `en` (the default text) or a translation such as `cn`.
fn language(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("x-language")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case("en"))
}

/// A 200 whose body is JSON the domain has already rendered.
pub(crate) fn json_text(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(ContentType::json())
        .body(body)
}

async fn list_markets(
    md: web::Data<MarketData>,
    q: web::Query<MarketQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let body = md.list_json(&q, language(&req))?;
    Ok(json_text(actix_web::http::StatusCode::OK, body))
}

async fn get_market(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (_, entry) = md.market(&path, &q)?;
    let body = md.market_json(&entry, language(&req));
    Ok(json_text(actix_web::http::StatusCode::OK, body))
}

async fn get_tokens(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(md.tokens(&path, &q)?))
}

async fn get_book(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(md.book(&path, &q)?))
}

async fn get_ticker(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(md.ticker(&path, &q)?))
}

async fn get_trades(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(md.trades(&path, &q).await?))
}
