//! What every store test file shares: running one check on both backends.

use std::future::Future;

use store::{Store, StoreOptions};
use test_support::PgSchema;

/// Runs `check` against a fresh SQLite file, then against a fresh PostgreSQL schema (skipped
/// with a printed reason when PostgreSQL is unreachable, a failure under CI). `check` gets the
/// URL too, to reconnect as a restarted instance would, and the backend's name for messages.
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
