//! Wiring: state, routes, limits and the middleware, assembled into the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use auth::Authenticator;
use market_data::MarketData;
use orders::OrderService;
use types::{InvalidField, Secret};

use crate::error::{ApiError, HttpError};
use crate::extractors::admin::AdminToken;
use crate::metrics::Metrics;
use crate::middleware::envelope_and_metrics;
use crate::routes::ops::Readiness;
use crate::routes::{admin, auth as auth_routes, markets, ops, orders as order_routes};

/// Bodies over this are refused with 413 before they are read.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// In-flight requests get this long to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub struct AppState {
    pub market_data: web::Data<MarketData>,
    pub readiness: web::Data<Readiness>,
    pub metrics: web::Data<Metrics>,
    pub admin_token: Option<web::Data<AdminToken>>,
    pub auth: web::Data<Authenticator>,
    pub orders: web::Data<OrderService>,
}

impl AppState {
    pub fn new(
        market_data: MarketData,
        readiness: Readiness,
        admin_token: Option<Secret<String>>,
        auth: Arc<Authenticator>,
        orders: OrderService,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            market_data: web::Data::new(market_data),
            readiness: web::Data::new(readiness),
            metrics: web::Data::new(Metrics::new(orders.acceptance())),
            admin_token: admin_token.map(|t| web::Data::new(AdminToken(t))),
            auth: web::Data::from(auth),
            orders: web::Data::new(orders),
        })
    }
}

fn configure(state: &AppState, cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|err, _| ApiError::from(InvalidField::new("body", err)).into()),
        )
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _| ApiError::from(InvalidField::new("query", err)).into()),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::from(InvalidField::new("path", err)).into()),
        )
        .app_data(state.market_data.clone())
        .app_data(state.readiness.clone())
        .app_data(state.metrics.clone())
        .configure(ops::configure)
        .configure(markets::configure)
        // Section 2: every authenticated route declares its tier where it is registered.
        .app_data(state.auth.clone())
        .configure(auth_routes::configure)
        .app_data(state.orders.clone())
        .configure(order_routes::configure);
    if let Some(token) = &state.admin_token {
        cfg.app_data(token.clone()).configure(admin::configure);
    }
}

async fn no_route() -> Result<HttpResponse, ApiError> {
    Err(HttpError::NoRoute.into())
}

pub fn http_server(
    state: Arc<AppState>,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        // Called once on each worker thread as it starts.
        crate::priority::lower_current_thread(crate::priority::HTTP_WORKER_NICENESS);
        App::new()
            .wrap(from_fn(envelope_and_metrics))
            .configure(|cfg| configure(&state, cfg))
            .default_service(web::to(no_route))
    })
    .workers(workers)
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .listen(listener)?
    .run();
    Ok(server)
}
