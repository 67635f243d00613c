//! Wiring: state, routes, limits and the middleware, assembled into the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpResponse, HttpServer};
use auth::Authenticator;
use market_data::MarketData;
use orders::OrderService;
use types::{InvalidField, Secret};

use crate::body_read::{self, BodyTimeout};
use crate::client_ip::TrustedProxies;
use crate::connection_cap::{self, ConnectionCap};
use crate::error::{ApiError, HttpError};
use crate::extractors::admin::AdminToken;
use crate::metrics::Metrics;
use crate::middleware::envelope_and_metrics;
use crate::routes::ops::Readiness;
use crate::routes::{admin, auth as auth_routes, markets, ops, orders as order_routes, portfolio};
use crate::telemetry::ConnectionErrors;

/// Bodies over this are refused with 413 before they are read.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// In-flight requests get this long to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The time a new connection has to deliver its first request's headers (actix's default,
/// stated here because the slow-client defences rely on it); late ones get a bare 408.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// After a response that closes the connection, the time the client has to read it and close,
/// while what it still sends is discarded: closing at once would reset the connection and
/// could destroy the response before the client reads it.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// How the HTTP server treats connections: the per-IP cap, the body timeout, workers and
/// the connection ceiling derived from the open-file limit.
pub struct ServerSettings {
    pub workers: usize,
    /// Per worker (actix's `max_connections`); a worker at it stops accepting until one closes.
    pub max_connections_per_worker: usize,
    pub max_connections_per_ip: usize,
    pub body_timeout: Duration,
    pub trusted_proxies: TrustedProxies,
    /// Browser origins allowed cross-origin access (`FS_CORS_ORIGINS`).
    pub cors_origins: Vec<String>,
}

pub struct AppState {
    pub market_data: web::Data<MarketData>,
    pub readiness: web::Data<Readiness>,
    pub metrics: web::Data<Metrics>,
    pub admin_token: Option<web::Data<AdminToken>>,
    pub auth: web::Data<Authenticator>,
    pub orders: web::Data<OrderService>,
    pub engine: web::Data<engine::Engine>,
}

impl AppState {
    pub fn new(
        market_data: MarketData,
        readiness: Readiness,
        admin_token: Option<Secret<String>>,
        auth: Arc<Authenticator>,
        orders: OrderService,
        engine: engine::Engine,
        connection_errors: ConnectionErrors,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            market_data: web::Data::new(market_data),
            readiness: web::Data::new(readiness),
            metrics: web::Data::new(Metrics::new(orders.acceptance(), connection_errors)),
            admin_token: admin_token.map(|t| web::Data::new(AdminToken::new(&t))),
            auth: web::Data::from(auth),
            orders: web::Data::new(orders),
            engine: web::Data::new(engine),
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
        // docs/api.md 2.1: every authenticated route declares its tier where it is registered.
        .app_data(state.auth.clone())
        .configure(auth_routes::configure)
        .app_data(state.orders.clone())
        .configure(order_routes::configure)
        .configure(portfolio::configure);
    if let Some(token) = &state.admin_token {
        cfg.app_data(token.clone())
            .app_data(state.engine.clone())
            .configure(admin::configure);
    }
}

async fn no_route() -> Result<HttpResponse, ApiError> {
    Err(HttpError::NoRoute.into())
}

/// Request headers a browser may send cross-origin: every header the API reads.
const CORS_REQUEST_HEADERS: [&str; 7] = [
    "authorization",
    "content-type",
    crate::extractors::auth::API_KEY_HEADER,
    crate::extractors::auth::API_SECRET_HEADER,
    crate::extractors::auth::ID_TOKEN_HEADER,
    orders::request::IDEMPOTENCY_HEADER,
    crate::error::CORRELATION_HEADER,
];

/// How long a browser may cache a preflight answer.
const CORS_MAX_AGE_SECS: usize = 600;

/// Cross-origin access for the listed browser origins (`FS_CORS_ORIGINS`): web users call the
/// API from a front end on another origin. Credentials travel in headers, never
/// in cookies, so no `Access-Control-Allow-Credentials`. A request from an origin not listed
/// is served as any other request without the CORS headers (the browser then withholds the
/// answer from the page); only its preflight is refused.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers(CORS_REQUEST_HEADERS)
        .expose_headers([
            header::HeaderName::from_static(crate::error::CORRELATION_HEADER),
            header::RETRY_AFTER,
        ])
        .max_age(CORS_MAX_AGE_SECS)
        .block_on_origin_mismatch(false)
}

pub fn http_server(
    state: Arc<AppState>,
    listener: TcpListener,
    settings: ServerSettings,
) -> std::io::Result<Server> {
    let cap = ConnectionCap::new(
        settings.max_connections_per_ip,
        settings.trusted_proxies.clone(),
    );
    let body_timeout = BodyTimeout(settings.body_timeout);
    let trusted_proxies = settings.trusted_proxies;
    let cors_origins = settings.cors_origins;
    let server = HttpServer::new(move || {
        // Called once on each worker thread as it starts.
        crate::priority::lower_current_thread(crate::priority::HTTP_WORKER_NICENESS);
        // The last layer wrapped runs first: the envelope sees every answer, the cap refuses
        // before a body is read, and no route runs before its body has arrived.
        App::new()
            .app_data(body_timeout)
            .app_data(trusted_proxies.clone())
            .wrap(from_fn(body_read::read_in_time))
            .wrap(from_fn(connection_cap::refuse_over_cap))
            // Inside the envelope, so that a refused preflight is answered in the envelope, and
            // outside the other layers, so that every answer, errors included, carries the CORS
            // headers a page needs to read it.
            .wrap(Condition::new(
                !cors_origins.is_empty(),
                cors(&cors_origins),
            ))
            .wrap(from_fn(envelope_and_metrics))
            .configure(|cfg| configure(&state, cfg))
            .default_service(web::to(no_route))
    })
    .on_connect(move |connection, data| cap.on_connect(connection, data))
    .workers(settings.workers)
    .max_connections(settings.max_connections_per_worker)
    .client_request_timeout(HEAD_TIMEOUT)
    .client_disconnect_timeout(CLOSE_LINGER)
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .listen(listener)?
    .run();
    Ok(server)
}
