//! The L0 routes of section 4: markets, tokens, book, ticker, trades.

use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::{web, HttpRequest, HttpResponse};
use store::Store;
use types::{ApiError, MarketKey, Timestamp};

use crate::books::BookViews;
use crate::catalog::{ListPosition, MarketCatalog, MarketEntry};
use crate::params::{self, MarketQuery};
use crate::views::{self, close_market_with_ticker, Page};

/// What the market routes read: the catalog, the book views, and the store (for trades).
pub struct MarketData {
    pub catalog: Arc<MarketCatalog>,
    pub books: Arc<BookViews>,
    pub store: Store,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/markets").route(web::get().to(list_markets)))
        .service(web::resource("/v1/markets/{condition_id}").route(web::get().to(get_market)))
        .service(
            web::resource("/v1/markets/{condition_id}/tokens").route(web::get().to(get_tokens)),
        )
        .service(web::resource("/v1/markets/{condition_id}/book").route(web::get().to(get_book)))
        .service(
            web::resource("/v1/markets/{condition_id}/ticker").route(web::get().to(get_ticker)),
        )
        .service(
            web::resource("/v1/markets/{condition_id}/trades").route(web::get().to(get_trades)),
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

fn json(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        .body(body)
}

fn market_not_found() -> ApiError {
    ApiError::not_found("No market with this condition_id on this chain_id")
}

impl MarketData {
    fn market(
        &self,
        path: &str,
        q: &MarketQuery,
    ) -> Result<(MarketKey, Arc<MarketEntry>), ApiError> {
        let key = params::market_key(path, q)?;
        let entry = self.catalog.get(&key).ok_or_else(market_not_found)?;
        Ok((key, entry))
    }

    fn render_market(&self, entry: &MarketEntry, language: Option<&str>, out: &mut String) {
        out.push_str(entry.prefix(language));
        close_market_with_ticker(out, &self.books.get(&entry.key()).ticker());
    }
}

async fn list_markets(
    md: web::Data<MarketData>,
    q: web::Query<MarketQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let status = params::status(q.status.as_deref())?;
    let limit = params::limit(&q)?;
    let after = params::list_position(q.cursor.as_deref())?;
    let (page, has_more) = md.catalog.page(status, after, limit as usize);
    let language = language(&req);
    let mut body = String::from("{\"data\":[");
    for (i, entry) in page.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        md.render_market(entry, language, &mut body);
    }
    let next_cursor = match page.last() {
        Some(last) if has_more => Some(params::encode_list_position(&ListPosition {
            created_at: last.record.created_at,
            key: last.key(),
        })),
        _ => None,
    };
    body.push_str("],\"next_cursor\":");
    body.push_str(&serde_json::to_string(&next_cursor).unwrap_or_else(|_| "null".into()));
    body.push_str(",\"has_more\":");
    body.push_str(if has_more { "true" } else { "false" });
    body.push('}');
    Ok(json(body))
}

async fn get_market(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (_, entry) = md.market(&path, &q)?;
    let mut body = String::with_capacity(entry.prefix(None).len() + 160);
    md.render_market(&entry, language(&req), &mut body);
    Ok(json(body))
}

async fn get_tokens(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, entry) = md.market(&path, &q)?;
    Ok(HttpResponse::Ok().json(views::tokens_view(&entry.record)))
}

async fn get_book(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, entry) = md.market(&path, &q)?;
    let book = md.books.get(&key);
    Ok(HttpResponse::Ok().json(views::book_view(&entry.record, &book, Timestamp::now())))
}

async fn get_ticker(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, entry) = md.market(&path, &q)?;
    let ticker = md.books.get(&key).ticker();
    Ok(HttpResponse::Ok().json(views::ticker_view(&entry.record, &ticker, Timestamp::now())))
}

async fn get_trades(
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, _) = md.market(&path, &q)?;
    let limit = params::limit(&q)?;
    let after = params::trade_position(q.cursor.as_deref())?;
    let mut prints = md
        .store
        .trades_page(&key.condition_id, key.chain_id, after.as_ref(), limit + 1)
        .await?;
    let has_more = prints.len() > limit as usize;
    prints.truncate(limit as usize);
    let next_cursor = match prints.last() {
        Some(last) if has_more => {
            Some(params::encode_trade_position(&store::trades::TradeCursor {
                created_at: last.created_at,
                trade_id: last.trade_id.clone(),
            }))
        }
        _ => None,
    };
    Ok(HttpResponse::Ok().json(Page {
        data: prints.iter().map(views::trade_view).collect(),
        next_cursor,
        has_more,
    }))
}
