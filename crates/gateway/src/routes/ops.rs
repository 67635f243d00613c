//! Operations routes: `/health` (the process is up), `/ready` (its dependencies answer), `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use market_data::MarketData;
use serde_json::json;
use store::{Store, UnreadableRow};

use crate::error::{ApiError, HttpError};
use crate::metrics::Metrics;
use crate::redis_probe::RedisProbe;

pub struct Readiness {
    pub store: Store,
    pub redis: Option<Arc<RedisProbe>>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // HEAD on every read route; load balancers often probe with it.
    cfg.service(web::resource("/health").route(super::get_or_head().to(health)))
        .service(web::resource("/ready").route(super::get_or_head().to(ready)))
        .service(web::resource("/metrics").route(super::get_or_head().to(metrics)));
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

const DB_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 when the dependencies answer, listing the stored rows the gateway left out because they
/// do not read back (`unreadable_rows`, usually empty). Such rows do not make the instance
/// unready: every instance reads the same table, so a 503 would take them all out of service
/// over one bad row, which is the outage skipping it avoids. The log has each row's reason.
async fn ready(
    r: web::Data<Readiness>,
    md: web::Data<MarketData>,
) -> Result<HttpResponse, ApiError> {
    let db = tokio::time::timeout(DB_PROBE_TIMEOUT, r.store.ping()).await;
    if let Err(reason) = match db {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{e:?}")),
        Err(_) => Err("timed out".to_owned()),
    } {
        tracing::warn!(%reason, "not ready: database");
        return Err(HttpError::NotReady("the database").into());
    }
    let redis = match &r.redis {
        None => "not_configured",
        Some(probe) => match probe.ping().await {
            Ok(()) => "ok",
            Err(reason) => {
                tracing::warn!(%reason, "not ready: redis");
                return Err(HttpError::NotReady("Redis").into());
            }
        },
    };
    let mut unreadable: Vec<UnreadableRow> = r.store.unreadable_rows().to_vec();
    unreadable.extend(md.catalog.unreadable());
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "database": "ok",
        "redis": redis,
        "unreadable_rows": unreadable,
    })))
}

async fn metrics(m: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m.render())
}
