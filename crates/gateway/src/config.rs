//! Configuration: a TOML file overridden by environment variables (README.md, "Configuration"),
//! validated once at start-up. A bad setting is reported as one line naming the setting and the
//! reason.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use types::{Secret, Wallet};

use crate::client_ip::TrustedProxies;

pub const DEFAULT_CONFIG_PATH: &str = "config/default.toml";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{setting}: {reason}")]
pub struct ConfigError {
    pub setting: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the Privy verification key comes from (checked further by the auth layer).
#[derive(Clone, Debug, Default)]
pub struct PrivyConfig {
    pub app_id: Option<String>,
    /// An SPKI P-256 PEM, read from the file when the setting was `@path`.
    pub verification_key_pem: Option<String>,
    pub jwks_url: Option<String>,
    pub app_secret: Option<Secret<String>>,
    pub api_base: String,
    pub leeway: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub http_addr: SocketAddr,
    pub ws_addr: SocketAddr,
    pub database_url: Secret<String>,
    pub redis_url: Option<Secret<String>>,
    pub privy: PrivyConfig,
    pub api_key_pepper: Option<Secret<Vec<u8>>>,
    pub admin_token: Option<Secret<String>>,
    pub dev_mode: bool,
    pub log_format: LogFormat,
    pub market_refresh: Duration,
    /// HTTP worker threads (actix-web workers), each serving the connections it accepted.
    pub http_workers: usize,
    /// `WriterConfig::fill_orders` (0: a group never waits to fill).
    pub acceptance_fill_orders: usize,
    /// `WriterConfig::fill_wait`.
    pub acceptance_fill_wait: Duration,
    /// Browser origins allowed to call the API (CORS); empty: no cross-origin access.
    pub cors_origins: Vec<String>,
    /// The longest a request body may take to arrive after its headers (408 after it).
    pub body_timeout: Duration,
    /// Open connections one source IP may hold; requests on more answer 429.
    pub max_connections_per_ip: usize,
    /// Proxies whose `X-Forwarded-For` names the client, and whose connections are not capped.
    pub trusted_proxies: TrustedProxies,
    /// How often expired idempotency keys are purged (also once at start).
    pub idempotency_sweep: Duration,
    /// Idempotency keys a wallet keeps at most; its oldest go first.
    pub idempotency_keys_per_wallet: u32,
    /// Where trading fees and rounding remainders are credited.
    pub fee_wallet: Wallet,
}

/// The file's keys: the environment variable names in lower case, without `FS_`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    http_addr: Option<String>,
    ws_addr: Option<String>,
    database_url: Option<String>,
    redis_url: Option<String>,
    privy_app_id: Option<String>,
    privy_verification_key: Option<String>,
    privy_jwks_url: Option<String>,
    privy_app_secret: Option<String>,
    privy_api_base: Option<String>,
    jwt_leeway_secs: Option<u64>,
    api_key_pepper: Option<String>,
    admin_token: Option<String>,
    dev_mode: Option<bool>,
    log_format: Option<String>,
    market_refresh_ms: Option<u64>,
    http_workers: Option<u64>,
    acceptance_fill_orders: Option<u64>,
    acceptance_fill_wait_ms: Option<u64>,
    cors_origins: Option<String>,
    body_timeout_ms: Option<u64>,
    max_connections_per_ip: Option<u64>,
    trusted_proxies: Option<String>,
    idempotency_sweep_secs: Option<u64>,
    idempotency_keys_per_wallet: Option<u64>,
    fee_wallet: Option<String>,
}

/// One setting's value and the name to blame when it is wrong.
struct Raw {
    value: String,
    source: String,
}

struct Sources<'a> {
    env: &'a HashMap<String, String>,
    file_label: String,
}

impl Sources<'_> {
    /// The environment wins over the file; an empty environment variable counts as unset.
    fn pick(&self, env: &str, key: &str, file: Option<String>) -> Option<Raw> {
        match self.env.get(env).filter(|v| !v.is_empty()) {
            Some(v) => Some(Raw {
                value: v.clone(),
                source: env.to_owned(),
            }),
            None => file.map(|v| Raw {
                value: v,
                source: format!("{key} in {}", self.file_label),
            }),
        }
    }
}

fn bad(raw: &Raw, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: raw.source.clone(),
        reason: reason.into(),
    }
}

fn socket_addr(raw: Option<Raw>, default: &str) -> Result<SocketAddr, ConfigError> {
    match raw {
        None => Ok(default.parse().expect("default address parses")),
        Some(r) => r.value.parse().map_err(|_| {
            bad(
                &r,
                format!(
                    "{:?} is not a socket address such as 127.0.0.1:8080",
                    r.value
                ),
            )
        }),
    }
}

fn boolean(raw: Option<Raw>) -> Result<bool, ConfigError> {
    match raw {
        None => Ok(false),
        Some(r) => match r.value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(bad(&r, format!("{:?} is not true or false", r.value))),
        },
    }
}

fn integer(
    raw: Option<Raw>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    match raw {
        None => Ok(default),
        Some(r) => match r.value.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(bad(
                &r,
                format!(
                    "must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        },
    }
}

fn url_with_scheme(raw: Option<Raw>, schemes: &[&str]) -> Result<Option<String>, ConfigError> {
    match raw {
        None => Ok(None),
        Some(r)
            if schemes
                .iter()
                .any(|s| r.value.starts_with(s) && r.value.len() > s.len()) =>
        {
            Ok(Some(r.value))
        }
        Some(r) => Err(bad(&r, format!("must start with {}", schemes.join(" or ")))),
    }
}

/// A comma-separated list of exact origins (`https://app.example.com`, `http://localhost:3000`),
/// lowercased as browsers send them. No wildcard: a deployment names the sites it serves.
fn origins(raw: Option<Raw>) -> Result<Vec<String>, ConfigError> {
    let Some(r) = raw else { return Ok(Vec::new()) };
    r.value
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let origin = o.to_ascii_lowercase();
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .filter(|h| !h.is_empty() && !h.contains(['/', '*', '?', '#', ' ']));
            match host {
                Some(_) => Ok(origin),
                None => Err(bad(
                    &r,
                    format!(
                        "{o:?} is not an origin such as https://app.example.com \
                         (scheme and host, optional port, no path, no wildcard)"
                    ),
                )),
            }
        })
        .collect()
}

fn pem_key(raw: Option<Raw>) -> Result<Option<String>, ConfigError> {
    let Some(r) = raw else { return Ok(None) };
    let pem = match r.value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| bad(&r, format!("cannot read {path}: {e}")))?,
        None => r.value.replace("\\n", "\n"),
    };
    if !pem.contains("-----BEGIN PUBLIC KEY-----") {
        return Err(bad(
            &r,
            "is not a PEM public key (-----BEGIN PUBLIC KEY-----), inline or as @path",
        ));
    }
    Ok(Some(pem))
}

impl Config {
    /// Loads `path` (the default path may be missing; an explicit one may not) and applies `env`.
    pub fn load(path: Option<&Path>, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let (path, explicit) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_PATH), false),
        };
        let file_label = path.display().to_string();
        let file: FileConfig = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError {
                setting: file_label.clone(),
                reason: e.message().to_owned(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                FileConfig::default()
            }
            Err(e) => {
                return Err(ConfigError {
                    setting: file_label,
                    reason: format!("cannot read: {e}"),
                })
            }
        };
        Config::from_sources(file, &Sources { env, file_label })
    }

    fn from_sources(f: FileConfig, s: &Sources<'_>) -> Result<Config, ConfigError> {
        let http_addr = socket_addr(
            s.pick("FS_HTTP_ADDR", "http_addr", f.http_addr),
            "127.0.0.1:8080",
        )?;
        let ws_addr = socket_addr(s.pick("FS_WS_ADDR", "ws_addr", f.ws_addr), "127.0.0.1:8081")?;
        if http_addr == ws_addr && http_addr.port() != 0 {
            return Err(ConfigError {
                setting: "FS_WS_ADDR".into(),
                reason: "must differ from FS_HTTP_ADDR".into(),
            });
        }
        let database_url = url_with_scheme(
            s.pick("DATABASE_URL", "database_url", f.database_url),
            &["sqlite:", "postgres://", "postgresql://"],
        )?
        .unwrap_or_else(|| "sqlite://data/gateway.db".to_owned());
        let redis_url = url_with_scheme(
            s.pick("REDIS_URL", "redis_url", f.redis_url),
            &["redis://", "rediss://", "redis+unix://", "unix://"],
        )?;
        let leeway = integer(
            s.pick(
                "FS_JWT_LEEWAY_SECS",
                "jwt_leeway_secs",
                f.jwt_leeway_secs.map(|v| v.to_string()),
            ),
            30,
            0..=600,
        )?;
        let privy = PrivyConfig {
            app_id: s
                .pick("FS_PRIVY_APP_ID", "privy_app_id", f.privy_app_id)
                .map(|r| r.value),
            verification_key_pem: pem_key(s.pick(
                "FS_PRIVY_VERIFICATION_KEY",
                "privy_verification_key",
                f.privy_verification_key,
            ))?,
            jwks_url: url_with_scheme(
                s.pick("FS_PRIVY_JWKS_URL", "privy_jwks_url", f.privy_jwks_url),
                &["https://", "http://", "file://"],
            )?,
            app_secret: s
                .pick(
                    "FS_PRIVY_APP_SECRET",
                    "privy_app_secret",
                    f.privy_app_secret,
                )
                .map(|r| Secret::new(r.value)),
            api_base: url_with_scheme(
                s.pick("FS_PRIVY_API_BASE", "privy_api_base", f.privy_api_base),
                &["https://", "http://"],
            )?
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| "https://auth.privy.io".to_owned()),
            leeway: Duration::from_secs(leeway),
        };
        let api_key_pepper = match s.pick("FS_API_KEY_PEPPER", "api_key_pepper", f.api_key_pepper) {
            None => None,
            Some(r) if r.value.len() >= 32 => Some(Secret::new(r.value.into_bytes())),
            Some(r) => return Err(bad(&r, "must be at least 32 bytes")),
        };
        let admin_token = match s.pick("FS_ADMIN_TOKEN", "admin_token", f.admin_token) {
            None => None,
            Some(r) if r.value.len() >= 16 && !r.value.chars().any(char::is_whitespace) => {
                Some(Secret::new(r.value))
            }
            Some(r) => return Err(bad(&r, "must be at least 16 characters with no spaces")),
        };
        let dev_mode =
            boolean(s.pick("FS_DEV_MODE", "dev_mode", f.dev_mode.map(|b| b.to_string())))?;
        let log_format = match s.pick("FS_LOG_FORMAT", "log_format", f.log_format) {
            None => LogFormat::Text,
            Some(r) => match r.value.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(bad(&r, "must be text or json")),
            },
        };
        let refresh_ms = integer(
            s.pick(
                "FS_MARKET_REFRESH_MS",
                "market_refresh_ms",
                f.market_refresh_ms.map(|v| v.to_string()),
            ),
            1000,
            50..=60_000,
        )?;
        let http_workers = integer(
            s.pick(
                "FS_HTTP_WORKERS",
                "http_workers",
                f.http_workers.map(|v| v.to_string()),
            ),
            default_http_workers(),
            1..=MAX_HTTP_WORKERS,
        )?;
        let writer = orders::WriterConfig::default();
        let fill_orders = integer(
            s.pick(
                "FS_ACCEPTANCE_FILL_ORDERS",
                "acceptance_fill_orders",
                f.acceptance_fill_orders.map(|v| v.to_string()),
            ),
            u64::try_from(writer.fill_orders).unwrap_or(u64::MAX),
            0..=960,
        )?;
        let fill_wait_ms = integer(
            s.pick(
                "FS_ACCEPTANCE_FILL_WAIT_MS",
                "acceptance_fill_wait_ms",
                f.acceptance_fill_wait_ms.map(|v| v.to_string()),
            ),
            u64::try_from(writer.fill_wait.as_millis()).unwrap_or(u64::MAX),
            1..=100,
        )?;
        let cors_origins = origins(s.pick("FS_CORS_ORIGINS", "cors_origins", f.cors_origins))?;
        let body_timeout_ms = integer(
            s.pick(
                "FS_BODY_TIMEOUT_MS",
                "body_timeout_ms",
                f.body_timeout_ms.map(|v| v.to_string()),
            ),
            u64::try_from(crate::body_read::DEFAULT_BODY_TIMEOUT.as_millis()).unwrap_or(u64::MAX),
            100..=300_000,
        )?;
        let max_connections_per_ip = integer(
            s.pick(
                "FS_MAX_CONNECTIONS_PER_IP",
                "max_connections_per_ip",
                f.max_connections_per_ip.map(|v| v.to_string()),
            ),
            DEFAULT_MAX_CONNECTIONS_PER_IP,
            1..=1_000_000,
        )?;
        let trusted_proxies =
            match s.pick("FS_TRUSTED_PROXIES", "trusted_proxies", f.trusted_proxies) {
                None => TrustedProxies::default(),
                Some(r) => TrustedProxies::parse(&r.value).map_err(|reason| bad(&r, reason))?,
            };
        let sweep_secs = integer(
            s.pick(
                "FS_IDEMPOTENCY_SWEEP_SECS",
                "idempotency_sweep_secs",
                f.idempotency_sweep_secs.map(|v| v.to_string()),
            ),
            orders::idempotency::DEFAULT_SWEEP_EVERY.as_secs(),
            1..=86_400,
        )?;
        let keys_per_wallet = integer(
            s.pick(
                "FS_IDEMPOTENCY_KEYS_PER_WALLET",
                "idempotency_keys_per_wallet",
                f.idempotency_keys_per_wallet.map(|v| v.to_string()),
            ),
            u64::from(orders::idempotency::DEFAULT_KEYS_PER_WALLET),
            1..=1_000_000,
        )?;
        let fee_wallet = match s.pick("FS_FEE_WALLET", "fee_wallet", f.fee_wallet) {
            None => Wallet::ZERO,
            Some(r) => r
                .value
                .parse()
                .map_err(|_| bad(&r, "must be 0x followed by 40 hex characters"))?,
        };
        Ok(Config {
            http_addr,
            ws_addr,
            database_url: Secret::new(database_url),
            redis_url: redis_url.map(Secret::new),
            privy,
            api_key_pepper,
            admin_token,
            dev_mode,
            log_format,
            market_refresh: Duration::from_millis(refresh_ms),
            http_workers: usize::try_from(http_workers).unwrap_or(usize::MAX),
            acceptance_fill_orders: usize::try_from(fill_orders).unwrap_or(usize::MAX),
            acceptance_fill_wait: Duration::from_millis(fill_wait_ms),
            cors_origins,
            body_timeout: Duration::from_millis(body_timeout_ms),
            max_connections_per_ip: usize::try_from(max_connections_per_ip).unwrap_or(usize::MAX),
            trusted_proxies,
            idempotency_sweep: Duration::from_secs(sweep_secs),
            idempotency_keys_per_wallet: u32::try_from(keys_per_wallet).unwrap_or(u32::MAX),
            fee_wallet,
        })
    }
}

/// Two HTTP workers per core, within the setting's range. A connection stays on the worker
/// that accepted it, and a worker spends most of a request verifying signatures; with one
/// worker per core, a core idles whenever all of its worker's connections wait for their
/// group's COMMIT while another worker has requests queued. With two per core the kernel gives
/// a waiting worker's core to another (docs/orders.md, "Intake throughput").
fn default_http_workers() -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    u64::try_from(cores.saturating_mul(2)).map_or(MAX_HTTP_WORKERS, |n| n.min(MAX_HTTP_WORKERS))
}

const MAX_HTTP_WORKERS: u64 = 1024;

/// Well above what one client, or a NAT of a few users, needs (a bot keeps a handful of
/// keep-alive connections), far below the open-file limit.
const DEFAULT_MAX_CONNECTIONS_PER_IP: u64 = 256;

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.toml");
        std::fs::write(&path, toml).unwrap();
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(Some(&path), &env)
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = Config::load(Some(Path::new("/nonexistent/x.toml")), &HashMap::new());
        assert!(c.is_err(), "an explicit config file must exist");
        let c = load("", &[]).unwrap();
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.ws_addr.to_string(), "127.0.0.1:8081");
        assert_eq!(c.database_url.expose(), "sqlite://data/gateway.db");
        assert_eq!(c.privy.leeway, Duration::from_secs(30));
        assert_eq!(c.privy.api_base, "https://auth.privy.io");
        assert!(!c.dev_mode && c.admin_token.is_none() && c.redis_url.is_none());
        assert!(c.cors_origins.is_empty());
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(c.http_workers, 2 * cores);
        assert_eq!(c.acceptance_fill_orders, 45);
        assert_eq!(c.acceptance_fill_wait, Duration::from_millis(2));
        assert_eq!(c.idempotency_sweep, Duration::from_secs(600));
        assert_eq!(c.idempotency_keys_per_wallet, 10_000);
        assert_eq!(c.fee_wallet, Wallet::ZERO);
        assert_eq!(c.body_timeout, Duration::from_secs(10));
        assert_eq!(c.max_connections_per_ip, 256);
        assert!(c.trusted_proxies.is_empty());
    }

    #[test]
    fn connection_limits_and_trusted_proxies_are_read() {
        let c = load(
            "body_timeout_ms = 2500\nmax_connections_per_ip = 40\ntrusted_proxies = \"10.0.0.1\"",
            &[("FS_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")],
        )
        .unwrap();
        assert_eq!(c.body_timeout, Duration::from_millis(2500));
        assert_eq!(c.max_connections_per_ip, 40);
        assert!(c.trusted_proxies.contains("10.9.9.9".parse().unwrap()));
        assert!(c.trusted_proxies.contains("192.0.2.7".parse().unwrap()));
        let e = load("", &[("FS_TRUSTED_PROXIES", "10.0.0.0/8, lb")]).unwrap_err();
        assert_eq!(e.setting, "FS_TRUSTED_PROXIES");
        assert!(e.reason.contains("\"lb\""), "{e}");
        let e = load("", &[("FS_BODY_TIMEOUT_MS", "50")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "FS_BODY_TIMEOUT_MS: must be an integer from 100 to 300000"
        );
        let e = load("", &[("FS_MAX_CONNECTIONS_PER_IP", "0")]).unwrap_err();
        assert_eq!(e.setting, "FS_MAX_CONNECTIONS_PER_IP");
    }

    #[test]
    fn environment_overrides_the_file() {
        let c = load(
            "http_addr = \"127.0.0.1:9000\"\ndev_mode = false",
            &[("FS_HTTP_ADDR", "0.0.0.0:9100"), ("FS_DEV_MODE", "true")],
        )
        .unwrap();
        assert_eq!(c.http_addr.to_string(), "0.0.0.0:9100");
        assert!(c.dev_mode);
        let c = load("http_workers = 3", &[]).unwrap();
        assert_eq!(c.http_workers, 3);
        let c = load("http_workers = 3", &[("FS_HTTP_WORKERS", "5")]).unwrap();
        assert_eq!(c.http_workers, 5);
        let c = load(
            "acceptance_fill_orders = 30\nacceptance_fill_wait_ms = 5",
            &[("FS_ACCEPTANCE_FILL_ORDERS", "0")],
        )
        .unwrap();
        assert_eq!(c.acceptance_fill_orders, 0);
        assert_eq!(c.acceptance_fill_wait, Duration::from_millis(5));
        let c = load(
            "idempotency_sweep_secs = 60\nidempotency_keys_per_wallet = 50",
            &[("FS_IDEMPOTENCY_SWEEP_SECS", "5")],
        )
        .unwrap();
        assert_eq!(c.idempotency_sweep, Duration::from_secs(5));
        assert_eq!(c.idempotency_keys_per_wallet, 50);
    }

    #[test]
    fn a_bad_setting_names_itself_and_the_reason() {
        let e = load("", &[("FS_HTTP_ADDR", "localhost")]).unwrap_err();
        assert_eq!(e.setting, "FS_HTTP_ADDR");
        let e = load("jwt_leeway_secs = 9999", &[]).unwrap_err();
        assert!(e.setting.starts_with("jwt_leeway_secs in "), "{e}");
        let e = load("", &[("FS_API_KEY_PEPPER", "short")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "FS_API_KEY_PEPPER: must be at least 32 bytes"
        );
        let e = load("", &[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.setting, "DATABASE_URL");
        let e = load("no_such_key = 1", &[]).unwrap_err();
        assert!(e.reason.contains("no_such_key"), "{e}");
        let e = load("", &[("FS_DEV_MODE", "maybe")]).unwrap_err();
        assert_eq!(e.setting, "FS_DEV_MODE");
        let e = load("", &[("FS_HTTP_WORKERS", "0")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "FS_HTTP_WORKERS: must be an integer from 1 to 1024"
        );
        let e = load("", &[("FS_IDEMPOTENCY_SWEEP_SECS", "0")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "FS_IDEMPOTENCY_SWEEP_SECS: must be an integer from 1 to 86400"
        );
        let e = load("", &[("FS_IDEMPOTENCY_KEYS_PER_WALLET", "0")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "FS_IDEMPOTENCY_KEYS_PER_WALLET: must be an integer from 1 to 1000000"
        );
        let e = load("", &[("FS_FEE_WALLET", "0x12")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "FS_FEE_WALLET: must be 0x followed by 40 hex characters"
        );
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        let c = load(
            "cors_origins = \"https://App.example.com, http://localhost:3000\"",
            &[],
        )
        .unwrap();
        assert_eq!(
            c.cors_origins,
            ["https://app.example.com", "http://localhost:3000"]
        );
        for bad in [
            "*",
            "https://*.example.com",
            "app.example.com",
            "https://x.com/app",
        ] {
            let e = load("", &[("FS_CORS_ORIGINS", bad)]).unwrap_err();
            assert_eq!(e.setting, "FS_CORS_ORIGINS", "{bad}");
        }
    }

    #[test]
    fn secret_values_never_appear_in_errors_or_debug_output() {
        let c = load(
            "",
            &[
                ("FS_ADMIN_TOKEN", "admin-token-0123456789"),
                ("FS_API_KEY_PEPPER", &"p".repeat(40)),
            ],
        )
        .unwrap();
        let dump = format!("{c:?}");
        assert!(
            !dump.contains("admin-token-0123456789") && !dump.contains(&"p".repeat(40)),
            "{dump}"
        );
        let e = load("", &[("FS_ADMIN_TOKEN", "short secret")]).unwrap_err();
        assert!(!e.to_string().contains("short secret"));
    }
}
