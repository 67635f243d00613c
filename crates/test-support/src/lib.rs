//! Test-only helpers: a fresh PostgreSQL schema per test, a check run on each store backend, and
//! the CI rule that PostgreSQL must be there.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use sqlx::{Connection, PgConnection};
use store::{Store, StoreOptions};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// True under CI, where a missing service fails the run instead of skipping tests.
pub fn ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The server the PostgreSQL tests use: `DATABASE_URL` when it names PostgreSQL, else the default.
pub fn postgres_base_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => DEFAULT_POSTGRES_URL.to_owned(),
    }
}

/// Reports an unreachable service: a panic under CI, a printed skip otherwise.
pub fn unreachable_service(what: &str, detail: &str) {
    if ci() {
        panic!("{what} is unreachable under CI=true, where its tests must run: {detail}");
    }
    eprintln!("SKIPPED: {what} is unreachable ({detail}); set CI=true to make this a failure");
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
    /// A fresh schema, or `None` (after printing why) when PostgreSQL is unreachable outside CI.
    pub async fn create() -> Option<PgSchema> {
        let base_url = postgres_base_url();
        let mut conn =
            match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&base_url))
                .await
            {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    unreachable_service("PostgreSQL", &e.to_string());
                    return None;
                }
                Err(_) => {
                    unreachable_service("PostgreSQL", "connect timed out after 5 s");
                    return None;
                }
            };
        let name = format!("t_{:016x}", rand::rng().random::<u64>());
        sqlx::raw_sql(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        let sep = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{sep}options=-c%20search_path%3D{name}");
        Some(PgSchema {
            base_url,
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

/// Runs `check` against a fresh SQLite file, then against a fresh PostgreSQL schema (skipped
/// with a printed reason when PostgreSQL is unreachable, a failure under CI). `check` gets the
/// URL too, to reconnect as a restarted instance would, and the backend's name for messages.
///
/// The SQLite file is in directories that do not exist yet, so every check also covers the
/// store creating them.
pub async fn on_each_backend<F, Fut>(check: F)
where
    F: Fn(Store, String, &'static str) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/gw.db", dir.path().display());
    let sqlite = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    check(sqlite, url, "sqlite").await;
    if let Some(schema) = PgSchema::create().await {
        let pg = Store::connect(&schema.url, &StoreOptions::default())
            .await
            .unwrap();
        check(pg.clone(), schema.url.clone(), "postgres").await;
        pg.close().await;
    }
}

/// Makes every insert of the order with this hash fail inside the database, as a lost
/// connection or a full disk would fail a transaction midway.
pub async fn poison_order_inserts(
    url: &str,
    backend: store::Backend,
    hash: &impl std::fmt::Display,
) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let sql = match backend {
        store::Backend::Sqlite => format!(
            "CREATE TRIGGER poison BEFORE INSERT ON orders WHEN NEW.order_hash = '{hash}' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
        ),
        store::Backend::Postgres => format!(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.order_hash = '{hash}' THEN RAISE EXCEPTION 'injected failure'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION poison();"
        ),
    };
    sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}
