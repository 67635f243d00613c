//! The `gateway` binary: loads the configuration, wires the services and serves until a signal.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use engine::{Engine, EngineConfig};
use gateway::config::Config;
use gateway::redis_probe::RedisProbe;
use gateway::routes::ops::Readiness;
use gateway::{app, catalog_markets, dev_seed, open_files, telemetry};
use market_data::{BookViews, MarketCatalog, MarketData};
use store::{Store, StoreError, StoreOptions};

/// How long shutdown waits for the acceptance writer to commit what it was given.
const WRITER_DRAIN: Duration = Duration::from_secs(10);

const USAGE: &str = "usage: gateway [--config PATH]
       gateway dev-token --wallet 0x... [--data-dir DIR] [--config PATH]
       gateway --version | --help

Runs the Foresight CLOB gateway. Settings come from PATH (default config/default.toml, which may
be missing) overridden by environment variables; see the README for the list.

dev-token prints a JWT for the wallet, valid 24 h, signed by the dev key that a gateway in dev
mode (FS_DEV_MODE=true) creates at start as data/dev-jwt-key.pem under its working directory
and trusts. --data-dir DIR: that gateway's data directory (default: data/ under the current
directory). dev-token also needs dev mode, and the gateway's FS_PRIVY_APP_ID if it has one.";

/// Why the gateway could not start: one line each.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("DATABASE_URL: {0}{cause}", cause = cause(.0))]
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
    #[error("auth: {0}")]
    Auth(String),
    #[error("matching engine: {0}")]
    Engine(engine::EngineError),
}

/// `: <cause>` when an error keeps its cause apart from its message.
fn cause(e: &dyn std::error::Error) -> String {
    e.source().map(|s| format!(": {s}")).unwrap_or_default()
}

enum Command {
    Serve {
        config: Option<PathBuf>,
    },
    DevToken {
        config: Option<PathBuf>,
        wallet: String,
        data_dir: Option<PathBuf>,
    },
    Help,
    Version,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut config = None;
    let mut wallet = None;
    let mut data_dir = None;
    let (dev_token, rest) = match args.first().map(String::as_str) {
        Some("dev-token") => (true, &args[1..]),
        _ => (false, args),
    };
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--config" => {
                let path = it.next().ok_or("--config needs a path")?;
                config = Some(PathBuf::from(path));
            }
            "--wallet" if dev_token => {
                wallet = Some(it.next().ok_or("--wallet needs an address")?.clone());
            }
            "--data-dir" if dev_token => {
                let dir = it.next().ok_or("--data-dir needs a directory")?;
                data_dir = Some(PathBuf::from(dir));
            }
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if dev_token {
        let wallet = wallet.ok_or("dev-token needs --wallet 0x...")?;
        return Ok(Command::DevToken {
            config,
            wallet,
            data_dir,
        });
    }
    Ok(Command::Serve { config })
}

/// `gateway dev-token --wallet 0x..`: prints a JWT signed by the dev key of the gateway whose
/// data directory is `data_dir` (default `data/` under the working directory, as the server's).
/// It never creates the key: a key made here, in the wrong directory, would sign tokens no
/// gateway trusts.
fn dev_token(
    config: &Config,
    wallet: &str,
    data_dir: Option<&std::path::Path>,
) -> Result<String, String> {
    if !config.dev_mode {
        return Err(
            "dev-token needs dev mode (FS_DEV_MODE=true); outside it the dev key is never trusted"
                .into(),
        );
    }
    let wallet: types::Wallet = wallet.parse().map_err(|e| format!("--wallet: {e}"))?;
    let path = match data_dir {
        Some(dir) => dir.join(auth::dev::DEV_KEY_FILE),
        None => PathBuf::from(auth::dev::DEV_KEY_PATH),
    };
    if !path.is_file() {
        let what_to_do = match data_dir {
            None => "start one in this directory first, or pass --data-dir with its data directory",
            Some(_) => "pass --data-dir with the data directory of that gateway",
        };
        let shown = std::path::absolute(&path).unwrap_or(path);
        return Err(format!(
            "no dev signing key at {}: a gateway started with FS_DEV_MODE=true creates it at \
             start under data/ in its working directory; {what_to_do}",
            shown.display()
        ));
    }
    let key = auth::dev::load_or_create_key(&path)?;
    let app_id = config
        .privy
        .app_id
        .as_deref()
        .unwrap_or(auth::dev::DEV_APP_ID);
    let now = types::Timestamp::now().millis() / 1000;
    auth::dev::dev_token(&key, app_id, wallet, now, 24 * 3600)
}

/// The authenticator from the configuration; in dev mode with the local key and pepper.
async fn authenticator(config: &Config, store: &Store) -> Result<auth::Authenticator, StartError> {
    let dev_key = if config.dev_mode {
        let path = std::path::Path::new(auth::dev::DEV_KEY_PATH);
        Some(auth::dev::load_or_create_key(path).map_err(StartError::Auth)?)
    } else {
        None
    };
    let pepper = match (&config.api_key_pepper, config.dev_mode) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(
            auth::dev::load_or_create_pepper(std::path::Path::new(auth::dev::DEV_PEPPER_PATH))
                .map_err(StartError::Auth)?,
        ),
        (None, false) => {
            tracing::warn!("FS_API_KEY_PEPPER is unset: API keys are unavailable");
            None
        }
    };
    let settings = auth::AuthSettings {
        app_id: config.privy.app_id.clone(),
        leeway: config.privy.leeway,
        verification_key_pem: config.privy.verification_key_pem.clone(),
        jwks_url: config.privy.jwks_url.clone(),
        app_secret: config.privy.app_secret.clone(),
        api_base: config.privy.api_base.clone(),
        pepper,
        dev_key,
        redis_url: config.redis_url.clone(),
    };
    auth::Authenticator::new(settings, store.clone())
        .await
        .map_err(StartError::Auth)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config_path, dev_token_args) = match parse_args(&args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("gateway {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(Command::Serve { config }) => (config, None),
        Ok(Command::DevToken {
            config,
            wallet,
            data_dir,
        }) => (config, Some((wallet, data_dir))),
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
    if let Some((wallet, data_dir)) = dev_token_args {
        return match dev_token(&config, &wallet, data_dir.as_deref()) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    let connection_errors = telemetry::init(config.log_format);
    match actix_web::rt::System::new().block_on(serve(config, connection_errors)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "gateway could not start");
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(
    config: Config,
    connection_errors: telemetry::ConnectionErrors,
) -> Result<(), StartError> {
    let db_url = config.database_url.expose();
    let store = Store::connect(db_url, &StoreOptions::default())
        .await
        .map_err(StartError::Database)?;
    tracing::info!(database = %store::redact(db_url), backend = ?store.backend(), "database ready");
    if config.dev_mode {
        let dev_key = std::path::absolute(auth::dev::DEV_KEY_PATH);
        let dev_key = dev_key
            .as_deref()
            .unwrap_or(std::path::Path::new(auth::dev::DEV_KEY_PATH));
        tracing::warn!(dev_key = %dev_key.display(), "dev mode is on: never use it in production");
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
    let books = Arc::new(BookViews::new());
    // Every book is rebuilt before the gateway listens: `/ready` answers with every book in place.
    let engine = Engine::start(
        store.clone(),
        catalog.records(),
        books.clone(),
        Arc::new(engine::InternalLedger),
        EngineConfig {
            fee_wallet: config.fee_wallet,
            ..EngineConfig::default()
        },
    )
    .await
    .map_err(StartError::Engine)?;
    let (writer, acceptance) = orders::acceptance_writer(
        store.clone(),
        orders::InternalLedger,
        orders::WriterConfig {
            fill_orders: config.acceptance_fill_orders,
            fill_wait: config.acceptance_fill_wait,
            ..orders::WriterConfig::default()
        },
    );
    let writer = writer.hand_off_to(engine.clone()).spawn();
    let order_service = orders::OrderService::new(
        store.clone(),
        Arc::new(catalog_markets::CatalogMarkets(catalog.clone())),
        acceptance,
        engine.clone(),
    )
    .with_keys_per_wallet(config.idempotency_keys_per_wallet);
    let idempotency_sweeper = actix_web::rt::spawn(
        order_service
            .idempotency_keys()
            .run_sweeper(config.idempotency_sweep),
    );
    let market_data = MarketData {
        catalog,
        books,
        store: store.clone(),
    };
    let readiness = Readiness {
        store: store.clone(),
        redis,
    };
    let authenticator = Arc::new(authenticator(&config, &store).await?);
    let auth_background = actix_web::rt::spawn(authenticator.clone().run_background());
    let state = app::AppState::new(
        market_data,
        readiness,
        config.admin_token.clone(),
        authenticator.clone(),
        order_service,
        engine.clone(),
        connection_errors,
    );

    let listener = TcpListener::bind(config.http_addr).map_err(|source| StartError::Bind {
        addr: config.http_addr,
        source,
    })?;
    let local = listener.local_addr().map_err(StartError::Server)?;
    let open_files = open_files::raise_limit();
    let settings = app::ServerSettings {
        workers: config.http_workers,
        max_connections_per_worker: open_files::connections_per_worker(
            open_files,
            config.http_workers,
        ),
        max_connections_per_ip: config.max_connections_per_ip,
        body_timeout: config.body_timeout,
        trusted_proxies: config.trusted_proxies.clone(),
        cors_origins: config.cors_origins.clone(),
    };
    let max_connections_per_worker = settings.max_connections_per_worker;
    let server = app::http_server(state, listener, settings).map_err(StartError::Server)?;
    tracing::info!(
        http = %local,
        http_workers = config.http_workers,
        open_files = open_files.unwrap_or(0),
        max_connections_per_worker,
        max_connections_per_ip = config.max_connections_per_ip,
        body_timeout_ms = u64::try_from(config.body_timeout.as_millis()).unwrap_or(u64::MAX),
        trusted_proxies = %config.trusted_proxies,
        acceptance_fill_orders = config.acceptance_fill_orders,
        admin_api = config.admin_token.is_some(),
        privy_app_id = config.privy.app_id.as_deref().unwrap_or("(unset)"),
        privy_key = config.privy.verification_key_pem.is_some() || config.privy.jwks_url.is_some(),
        privy_api = %config.privy.api_base,
        privy_app_secret = config.privy.app_secret.is_some(),
        jwt_leeway_secs = config.privy.leeway.as_secs(),
        cors_origins = config.cors_origins.len(),
        api_key_pepper = config.api_key_pepper.is_some(),
        "gateway listening"
    );
    tracing::info!(ws = %config.ws_addr, "the WebSocket listener is not served yet");
    // A machine-readable line on stdout, so a supervisor or a test can learn the bound port.
    println!("gateway listening http={local}");

    // Returns after SIGTERM/SIGINT once in-flight requests have finished.
    let result = server.await;
    refresher.abort();
    idempotency_sweeper.abort();
    // The server has dropped every handle to the writer, which ends once its queue is empty:
    // every order a request submitted is committed and answered before the store closes.
    match tokio::time::timeout(WRITER_DRAIN, writer).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "the acceptance writer stopped abnormally"),
        Err(_) => tracing::error!("the acceptance writer did not stop in time"),
    }
    // Every accepted order is with its matcher: each finishes what it holds before the store closes.
    engine.shutdown().await;
    auth_background.abort();
    authenticator.flush_last_used().await;
    store.close().await;
    tracing::info!("gateway stopped");
    result.map_err(StartError::Server)
}
