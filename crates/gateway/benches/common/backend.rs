//! One backend's run of a bench that places orders: which backends a run covers, the
//! database behind the gateway (the embedded default, SQLite, in the gateway's own temp
//! directory, or a fresh PostgreSQL schema, dropped afterwards, so earlier runs' rows never
//! interfere), the gateway on it, and what the bench reads back.

use std::time::Duration;

use sqlx::Connection as _;
use test_support::PgSchema;

use crate::common::{client_runtime, GatewayProcess};
use crate::wallets::ADMIN_TOKEN;

/// Runs `run` on a fresh database of each backend in turn; PostgreSQL, when it is unreachable,
/// is skipped and said so. The figures of each backend that ran, and whether any run failed
/// (an error, or figures that `clean` refuses).
pub fn run_each<F>(
    backends: &[BackendKind],
    mut run: impl FnMut(&Database) -> Result<F, String>,
    clean: impl Fn(&F) -> bool,
) -> (Vec<F>, bool) {
    let (mut results, mut failed) = (Vec::new(), false);
    for backend in backends {
        let database = match Database::create(*backend) {
            Ok(database) => database,
            Err(why) => {
                println!(
                    "{}: SKIPPED (PostgreSQL is unreachable: {why})",
                    backend.name()
                );
                continue;
            }
        };
        match run(&database) {
            Ok(figures) => {
                failed |= !clean(&figures);
                results.push(figures);
            }
            Err(e) => {
                println!("{}: FAILED: {e}", backend.name());
                failed = true;
            }
        }
    }
    (results, failed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }

    /// `BENCH_BACKENDS` (`sqlite,postgres` by default). PostgreSQL is the server of
    /// `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`); a run skips it, and
    /// says so, when it is unreachable.
    pub fn from_env() -> Vec<BackendKind> {
        std::env::var("BENCH_BACKENDS")
            .unwrap_or_else(|_| "sqlite,postgres".to_owned())
            .split(',')
            .map(|name| match name.trim() {
                "sqlite" => BackendKind::Sqlite,
                "postgres" => BackendKind::Postgres,
                other => panic!("BENCH_BACKENDS: {other:?} is neither sqlite nor postgres"),
            })
            .collect()
    }
}

/// The database of one backend's run: the gateway's default SQLite file in its own temp
/// directory, or a fresh PostgreSQL schema that is dropped with this value.
pub struct Database {
    pub kind: BackendKind,
    schema: Option<PgSchema>,
}

impl Database {
    /// Why not, when PostgreSQL is unreachable.
    pub fn create(kind: BackendKind) -> Result<Database, String> {
        let schema = match kind {
            BackendKind::Sqlite => None,
            BackendKind::Postgres => Some(client_runtime().block_on(PgSchema::try_create())?),
        };
        Ok(Database { kind, schema })
    }

    /// A gateway on this database, with the bench's admin token and `env` on top.
    pub fn start_gateway(&self, env: &[(&str, &str)]) -> GatewayProcess {
        let mut all = vec![("FS_ADMIN_TOKEN", ADMIN_TOKEN)];
        if let Some(schema) = &self.schema {
            all.push(("DATABASE_URL", &schema.url));
        }
        all.extend_from_slice(env);
        GatewayProcess::start(&all)
    }

    /// Where the bench reads what the gateway stored.
    fn inspect_url(&self, gateway: &GatewayProcess) -> String {
        match &self.schema {
            Some(schema) => schema.url.clone(),
            None => format!("sqlite://{}?mode=ro", sqlite_file(gateway)),
        }
    }

    async fn connect(&self, gateway: &GatewayProcess) -> Result<sqlx::AnyConnection, String> {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.inspect_url(gateway))
            .await
            .map_err(|e| e.to_string())
    }

    /// What the gateway stored: its orders by status, and its fills.
    pub async fn stored(&self, gateway: &GatewayProcess) -> Result<Stored, String> {
        let mut conn = self.connect(gateway).await?;
        let by_status: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status")
                .fetch_all(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
        let (fills,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fills")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Stored { by_status, fills })
    }

    /// What makes an acknowledged order durable on this backend, as far as the bench can see.
    pub async fn durability(&self, gateway: &GatewayProcess) -> String {
        let Some(schema) = &self.schema else {
            return format!(
                "SQLite {} (journal_mode WAL, synchronous FULL: store::backend)",
                sqlite_file(gateway)
            );
        };
        let Ok(mut conn) = self.connect(gateway).await else {
            return format!("PostgreSQL schema {} (settings unknown)", schema.name);
        };
        let fsync = show(&mut conn, "fsync").await;
        let synchronous_commit = show(&mut conn, "synchronous_commit").await;
        format!(
            "PostgreSQL schema {} (fsync {fsync}, synchronous_commit {synchronous_commit})",
            schema.name
        )
    }
}

/// A PostgreSQL setting, or `?`.
async fn show(conn: &mut sqlx::AnyConnection, setting: &str) -> String {
    sqlx::query_as::<_, (String,)>(&format!("SHOW {setting}"))
        .fetch_one(conn)
        .await
        .map_or_else(|_| "?".to_owned(), |row| row.0)
}

/// The rows a run left: what the matcher made of the orders.
pub struct Stored {
    pub by_status: Vec<(String, i64)>,
    /// One per side of a trade.
    pub fills: i64,
}

impl Stored {
    pub fn orders(&self) -> i64 {
        self.by_status.iter().map(|(_, n)| n).sum()
    }
}

impl std::fmt::Display for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} orders (", self.orders())?;
        for (i, (status, n)) in self.by_status.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{status} {n}")?;
        }
        write!(f, "), {} fills", self.fills)
    }
}

/// The gateway's last log lines, newest first: printed when a run went wrong.
pub fn print_log_tail(gateway: &GatewayProcess) {
    let log = gateway.log();
    let tail: Vec<&str> = log.lines().rev().take(20).collect();
    println!(
        "  gateway log (last lines, newest first):\n    {}",
        tail.join("\n    ")
    );
}

/// Busy time of the machine over a window, as a share of all its cores.
pub fn machine_busy(cpu: Option<Duration>, window: Duration) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match cpu {
        Some(cpu) => format!(
            "{:.0}%",
            100.0 * cpu.as_secs_f64() / (window.as_secs_f64() * cores as f64)
        ),
        None => "unknown".to_owned(),
    }
}

fn sqlite_file(gateway: &GatewayProcess) -> String {
    gateway
        .dir
        .path()
        .join("data/gateway.db")
        .display()
        .to_string()
}
