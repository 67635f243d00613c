//! The `gateway` binary: configuration, wiring, health, metrics and graceful shutdown.

mod app;
mod config;
mod dev_seed;
mod metrics;
mod middleware;
mod ops;
mod redis_probe;
mod telemetry;

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use market_data::routes::MarketData;
use market_data::{BookViews, MarketCatalog};
use store::{Store, StoreError, StoreOptions};

use crate::config::Config;
use crate::ops::Readiness;
use crate::redis_probe::RedisProbe;

const USAGE: &str = "usage: gateway [--config PATH]\n\n\
Runs the Foresight CLOB gateway. Settings come from PATH (default config/default.toml, which may\n\
be missing) overridden by environment variables; see the README for the list.";

/// Why the gateway could not start: one line each.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("DATABASE_URL: {0}")]
    Database(StoreError),
    #[error("REDIS_URL: {0}")]
    Redis(redis::RedisError),
    #[error("FS_HTTP_ADDR: cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Server(std::io::Error),
}

enum Command {
    Serve { config: Option<PathBuf> },
    Help,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut config = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--config" => {
                let path = it.next().ok_or("--config needs a path")?;
                config = Some(PathBuf::from(path));
            }
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Serve { config })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config_path = match parse_args(&args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Serve { config }) => config,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = match Config::load(config_path.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: config: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    match actix_web::rt::System::new().block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "gateway could not start");
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(config: Config) -> Result<(), StartError> {
    let db_url = config.database_url.expose();
    let store = Store::connect(db_url, &StoreOptions::default())
        .await
        .map_err(StartError::Database)?;
    tracing::info!(database = %store::redact(db_url), backend = ?store.backend(), "database ready");
    if config.dev_mode {
        tracing::warn!("dev mode is on: never use it in production");
        dev_seed::seed(&store).await.map_err(StartError::Database)?;
    }
    let redis = match &config.redis_url {
        None => None,
        Some(url) => Some(Arc::new(
            RedisProbe::new(url.expose()).map_err(StartError::Redis)?,
        )),
    };
    let catalog = MarketCatalog::load(store.clone())
        .await
        .map_err(StartError::Database)?;
    let refresher = catalog.spawn_refresher(config.market_refresh);
    let market_data = MarketData {
        catalog,
        books: Arc::new(BookViews::new()),
        store: store.clone(),
    };
    let readiness = Readiness {
        store: store.clone(),
        redis,
    };
    let state = app::AppState::new(market_data, readiness, config.admin_token.clone());

    let listener = TcpListener::bind(config.http_addr).map_err(|source| StartError::Bind {
        addr: config.http_addr,
        source,
    })?;
    let local = listener.local_addr().map_err(StartError::Server)?;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let server = app::http_server(state, listener, workers).map_err(StartError::Server)?;
    tracing::info!(
        http = %local,
        admin_api = config.admin_token.is_some(),
        privy_app_id = config.privy.app_id.as_deref().unwrap_or("(unset)"),
        privy_key = config.privy.verification_key_pem.is_some() || config.privy.jwks_url.is_some(),
        privy_api = %config.privy.api_base,
        privy_app_secret = config.privy.app_secret.is_some(),
        jwt_leeway_secs = config.privy.leeway.as_secs(),
        api_key_pepper = config.api_key_pepper.is_some(),
        "gateway listening"
    );
    tracing::info!(ws = %config.ws_addr, "the WebSocket listener is not served yet");
    // A machine-readable line on stdout, so a supervisor or a test can learn the bound port.
    println!("gateway listening http={local}");

    // Returns after SIGTERM/SIGINT once in-flight requests have finished.
    let result = server.await;
    refresher.abort();
    store.close().await;
    tracing::info!("gateway stopped");
    result.map_err(StartError::Server)
}
