//! Test-only helpers: a fresh PostgreSQL schema per test, a check run on a chosen store backend,
//! and the rule that a test needing PostgreSQL or Redis fails when the service is not there.
//!
//! Such a test is `#[ignore = "needs PostgreSQL"]` (or Redis): `cargo test` lists it as ignored
//! with that reason and counts it, and `cargo test -- --include-ignored` runs it. Once it runs,
//! a missing service is a failure, never a pass: libtest has no way to skip a test at run time.

use std::future::Future;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use rand::Rng;
use sqlx::{Connection, PgConnection};
use store::{Store, StoreOptions};

pub use store::Backend;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The server the PostgreSQL tests use: `DATABASE_URL` when it names PostgreSQL, else the default.
pub fn postgres_base_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => DEFAULT_POSTGRES_URL.to_owned(),
    }
}

/// The server the Redis tests use: `REDIS_URL` when it names Redis, else the default.
pub fn redis_url() -> String {
    match std::env::var("REDIS_URL") {
        Ok(url) if url.starts_with("redis") => url,
        _ => DEFAULT_REDIS_URL.to_owned(),
    }
}

/// Fails the running test: it needs `service` at `url`, which did not answer.
pub fn unreachable_service(service: &str, url: &str, detail: &str) -> ! {
    let variable = if service == "Redis" {
        "REDIS_URL"
    } else {
        "DATABASE_URL"
    };
    panic!(
        "{service} is unreachable at {url} ({detail}), and this test needs it. Start {service} \
         there (.ci/run shows how on Debian or Ubuntu) or set {variable} to one that answers; \
         without {service}, run `cargo test` without `--include-ignored`, which lists the tests \
         that need it as ignored.",
        url = store::redact(url),
    )
}

/// The Redis the test needs, at [`redis_url`]; fails the test unless it accepts connections.
pub fn require_redis() -> String {
    let url = redis_url();
    require_redis_at(&url);
    url
}

fn require_redis_at(url: &str) {
    // redis://[user[:password]@]host[:port][/db]
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:6379")
    };
    let addrs = match authority.to_socket_addrs() {
        Ok(addrs) => addrs.collect::<Vec<_>>(),
        Err(e) => unreachable_service("Redis", url, &e.to_string()),
    };
    let mut failure = format!("{authority} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(_) => return,
            Err(e) => failure = e.to_string(),
        }
    }
    unreachable_service("Redis", url, &failure)
}

/// A schema of its own for one test, so tests run in parallel without seeing each other's rows.
/// Dropped (with everything in it) when the value is dropped.
pub struct PgSchema {
    base_url: String,
    pub name: String,
    /// A URL whose connections use only this schema.
    pub url: String,
}

impl PgSchema {
    /// A fresh schema on [`postgres_base_url`]; fails the test when PostgreSQL is unreachable.
    pub async fn create() -> PgSchema {
        PgSchema::create_at(&postgres_base_url()).await
    }

    async fn create_at(base_url: &str) -> PgSchema {
        match PgSchema::try_create_at(base_url).await {
            Ok(schema) => schema,
            Err(detail) => unreachable_service("PostgreSQL", base_url, &detail),
        }
    }

    /// A fresh schema, or why PostgreSQL could not be reached: for the benchmarks, which
    /// report a backend they could not measure instead of failing.
    pub async fn try_create() -> Result<PgSchema, String> {
        PgSchema::try_create_at(&postgres_base_url()).await
    }

    async fn try_create_at(base_url: &str) -> Result<PgSchema, String> {
        let mut conn =
            match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(base_url))
                .await
            {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err("connect timed out after 5 s".to_owned()),
            };
        let name = format!("t_{:016x}", rand::rng().random::<u64>());
        sqlx::raw_sql(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        let sep = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{sep}options=-c%20search_path%3D{name}");
        Ok(PgSchema {
            base_url: base_url.to_owned(),
            name,
            url,
        })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.base_url.clone(), self.name.clone());
        // Drop may run inside a runtime; a thread of its own can block without disturbing it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(mut c) = PgConnection::connect(&url).await {
                        let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                            .execute(&mut c)
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

/// Runs `check` against a fresh store on `backend`: a SQLite file, or a fresh PostgreSQL schema
/// (a failure when PostgreSQL is unreachable). A check on both backends is two tests, the
/// PostgreSQL one `#[ignore = "needs PostgreSQL"]`. `check` gets the URL too, to reconnect as a
/// restarted instance would, and the backend's name for messages.
///
/// The SQLite file is in directories that do not exist yet, so every check also covers the
/// store creating them.
pub async fn on_backend<F, Fut>(backend: Backend, check: F)
where
    F: FnOnce(Store, String, &'static str) -> Fut,
    Fut: Future<Output = ()>,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("create a temp dir");
            let url = format!("sqlite://{}/nested/dir/gw.db", dir.path().display());
            let sqlite = Store::connect(&url, &StoreOptions::default())
                .await
                .expect("open a SQLite store");
            check(sqlite, url, "sqlite").await;
        }
        Backend::Postgres => {
            let schema = PgSchema::create().await;
            let pg = Store::connect(&schema.url, &StoreOptions::default())
                .await
                .expect("open a PostgreSQL store on the test's schema");
            check(pg.clone(), schema.url.clone(), "postgres").await;
            pg.close().await;
        }
    }
}

/// Makes every insert of the order with this hash fail inside the database, as a lost
/// connection or a full disk would fail a transaction midway.
pub async fn poison_order_inserts(url: &str, backend: Backend, hash: &impl std::fmt::Display) {
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .expect("connect to plant the trigger");
    let sql = match backend {
        Backend::Sqlite => format!(
            "CREATE TRIGGER poison BEFORE INSERT ON orders WHEN NEW.order_hash = '{hash}' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.order_hash = '{hash}' THEN RAISE EXCEPTION 'injected failure'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION poison();"
        ),
    };
    sqlx::raw_sql(&sql)
        .execute(&mut conn)
        .await
        .expect("plant the trigger");
    conn.close().await.expect("close the connection");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test that runs without its service must do: fail, saying which service, where
    /// it was looked for (without the password) and what to do instead.
    fn assert_fails_naming(payload: Box<dyn std::any::Any + Send>, service: &str, url: &str) {
        let message = payload
            .downcast_ref::<String>()
            .expect("a formatted panic message");
        for part in [
            format!("{service} is unreachable at {url} ("),
            format!("Start {service} there"),
            "without `--include-ignored`".to_owned(),
        ] {
            assert!(message.contains(&part), "{part:?} is not in {message:?}");
        }
        assert!(!message.contains("secret"), "{message}");
    }

    #[test]
    fn a_test_on_an_unreachable_postgres_fails_naming_it() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let created = std::panic::catch_unwind(|| {
            rt.block_on(PgSchema::create_at(
                "postgres://postgres:secret@127.0.0.1:1/test",
            ))
        });
        let Err(failed) = created else {
            panic!("a schema on port 1, where nothing listens");
        };
        assert_fails_naming(
            failed,
            "PostgreSQL",
            "postgres://postgres:***@127.0.0.1:1/test",
        );
    }

    #[test]
    fn a_test_on_an_unreachable_redis_fails_naming_it() {
        let failed = std::panic::catch_unwind(|| require_redis_at("redis://:secret@127.0.0.1:1/0"))
            .expect_err("nothing listens on port 1");
        assert_fails_naming(failed, "Redis", "redis://:***@127.0.0.1:1/0");
    }
}
