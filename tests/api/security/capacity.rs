//! Shared capacity: live ws tokens per wallet, the idempotency sweep, stored responses per wallet.

use std::path::Path;
use std::time::{Duration, Instant};

use alloy_primitives::U256;
use auth::ws_token::MAX_LIVE_WS_TOKENS;
use reqwest::Method;
use serde_json::json;
use sqlx::{Connection, PgConnection, SqliteConnection};
use types::{Outcome, Side, Timestamp};

use crate::harness::{assert_envelope, Gateway, Resp, DEMO_CONDITION_ID};
use crate::trading::{assert_inline, item, limit, market_info, Trader, DEV_ENV};

const HOUR_MS: i64 = 60 * 60 * 1000;

/// A label no earlier run used: tokens live on in Redis for a minute after a run.
fn fresh_label(prefix: &str) -> String {
    format!("{prefix}-{:016x}", rand::random::<u64>())
}

async fn ws_token(gw: &Gateway, trader: &Trader) -> Resp {
    gw.send(trader.keyed(gw.request(Method::POST, "/v1/auth/ws-token")))
        .await
}

/// The cap on one gateway: a wallet's tokens up to the cap are issued, one more is refused
/// with `Retry-After` whichever credential asks, and another wallet is unaffected.
async fn assert_ws_tokens_capped_per_wallet(gw: &Gateway, a: &Trader, b: &Trader) {
    for n in 0..MAX_LIVE_WS_TOKENS {
        let r = ws_token(gw, a).await;
        assert_eq!(r.status, 201, "token {n}: {}", r.text);
    }
    let r = ws_token(gw, a).await;
    assert_envelope(
        &r,
        429,
        "RATE_LIMITED",
        "At most 20 live WebSocket tokens per wallet",
    );
    let retry_after: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {:?}", r.headers));
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("retry in {retry_after} s")),
        "{message}"
    );
    // The wallet's JWT is the same wallet: refused too.
    let r = gw
        .send(
            gw.request(Method::POST, "/v1/auth/ws-token")
                .bearer_auth(&a.jwt),
        )
        .await;
    assert_envelope(&r, 429, "RATE_LIMITED", "WebSocket tokens");
    let r = ws_token(gw, b).await;
    assert_eq!(r.status, 201, "another wallet: {}", r.text);
}

#[tokio::test]
async fn live_ws_tokens_are_capped_per_wallet_in_process() {
    let gw = Gateway::start(&DEV_ENV).await;
    let a = Trader::new(&gw, "ws-cap-a").await;
    let b = Trader::new(&gw, "ws-cap-b").await;
    assert_ws_tokens_capped_per_wallet(&gw, &a, &b).await;
}

#[tokio::test]
#[ignore = "needs Redis"]
async fn live_ws_tokens_are_capped_per_wallet_in_redis() {
    let redis = test_support::require_redis();
    let env = [DEV_ENV[0], DEV_ENV[1], ("REDIS_URL", redis.as_str())];
    let gw = Gateway::start(&env).await;
    let a = Trader::with_permissions(&gw, &env, &fresh_label("ws-cap-a"), &["read"]).await;
    let b = Trader::with_permissions(&gw, &env, &fresh_label("ws-cap-b"), &["trade"]).await;
    assert_ws_tokens_capped_per_wallet(&gw, &a, &b).await;
}

/// `(wallet, key)` rows of the table, as SQL for both backends.
fn insert_key_sql(wallet: &str, key: &str, created_at: i64) -> String {
    format!(
        "INSERT INTO idempotency_keys (wallet, idempotency_key, request_hash, response, \
         created_at) VALUES ('{wallet}', '{key}', 'hash', '{{\"results\":[]}}', {created_at})"
    )
}

const SELECT_KEYS: &str = "SELECT idempotency_key FROM idempotency_keys ORDER BY idempotency_key";

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("data/gateway.db").display())
}

async fn sqlite_keys(dir: &Path) -> Vec<String> {
    let mut conn = SqliteConnection::connect(&sqlite_url(dir))
        .await
        .expect("open the gateway's SQLite file");
    let keys = sqlx::query_scalar(SELECT_KEYS)
        .fetch_all(&mut conn)
        .await
        .expect("read the keys");
    conn.close().await.expect("close");
    keys
}

#[tokio::test]
async fn idempotency_keys_older_than_24_hours_are_purged_on_sqlite() {
    // A gateway creates the database; with it stopped, a key of yesterday and one of an hour
    // ago are written straight into its file.
    let stopped = Gateway::start(&[]).await.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    let wallet = format!("0x{}", "5a".repeat(20));
    let now = Timestamp::now().millis();
    {
        let mut conn = SqliteConnection::connect(&sqlite_url(stopped.dir.path()))
            .await
            .expect("open the gateway's SQLite file");
        for (key, at) in [("yesterday", now - 25 * HOUR_MS), ("recent", now - HOUR_MS)] {
            sqlx::raw_sql(&insert_key_sql(&wallet, key, at))
                .execute(&mut conn)
                .await
                .expect("insert a key");
        }
        conn.close().await.expect("close");
    }
    // The sweep runs when the gateway starts, whatever its interval.
    let gw = Gateway::start_in(stopped.dir, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gw.logs().contains("idempotency keys swept") {
        assert!(Instant::now() < deadline, "no sweep: {}", gw.logs());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    assert_eq!(sqlite_keys(stopped.dir.path()).await, ["recent"]);
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn idempotency_keys_older_than_24_hours_are_purged_on_postgres() {
    let schema = test_support::PgSchema::create().await;
    let gw = Gateway::start(&[
        ("DATABASE_URL", schema.url.as_str()),
        ("FS_IDEMPOTENCY_SWEEP_SECS", "1"),
    ])
    .await;
    // Written while the gateway runs: the periodic sweep, not the one at start, removes it.
    let mut conn = PgConnection::connect(&schema.url)
        .await
        .expect("connect to the test schema");
    let wallet = format!("0x{}", "5b".repeat(20));
    let now = Timestamp::now().millis();
    for (key, at) in [("yesterday", now - 25 * HOUR_MS), ("recent", now - HOUR_MS)] {
        sqlx::raw_sql(&insert_key_sql(&wallet, key, at))
            .execute(&mut conn)
            .await
            .expect("insert a key");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let keys: Vec<String> = sqlx::query_scalar(SELECT_KEYS)
            .fetch_all(&mut conn)
            .await
            .expect("read the keys");
        if keys == ["recent"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "keys {keys:?} after 20 s; log:\n{}",
            gw.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    conn.close().await.expect("close");
}

#[tokio::test]
async fn stored_idempotent_responses_per_wallet_are_bounded_and_a_retry_never_orders_twice() {
    const BOUND: usize = 10;
    let env = [
        DEV_ENV[0],
        DEV_ENV[1],
        ("FS_IDEMPOTENCY_KEYS_PER_WALLET", "10"),
    ];
    let gw = Gateway::start(&env).await;
    let a = Trader::with_permissions(&gw, &env, "idem-bound", &["read", "trade"]).await;
    a.credit(&gw, U256::from(10u64).pow(U256::from(24u8))).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    // One key per request, as a client that keys every order does.
    let mut sent = Vec::new();
    for n in 0..25 {
        let order = a.sign(&market, &limit(Outcome::Yes, Side::Buy, 40, 1_000));
        let body = json!({"orders": [item(&order)]}).to_string();
        let key = format!("bound-{n:02}");
        let r = a.post_raw(&gw, &body, Some(&key)).await;
        assert_eq!(r.status, 200, "{key}: {}", r.text);
        assert_eq!(r.body["results"][0]["status"], "OPEN", "{key}: {}", r.text);
        sent.push((key, body));
    }
    // The most recent keys still replay.
    for (key, body) in &sent[sent.len() - (BOUND - 1)..] {
        let r = a.post_raw(&gw, body, Some(key)).await;
        assert_eq!(r.body["_idempotent_replayed"], true, "{key}: {}", r.text);
    }
    // The oldest was evicted: its retry is processed afresh, and its order is not placed twice.
    let (key, body) = &sent[0];
    let r = a.post_raw(&gw, body, Some(key)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body.get("_idempotent_replayed").is_none(), "{}", r.text);
    assert_inline(&r.body["results"][0], "DUPLICATE_ORDER", "");
    let r = a.get(&gw, "/v1/orders?status=all&limit=100").await;
    assert_eq!(
        r.body["data"].as_array().map(Vec::len),
        Some(25),
        "{}",
        r.text
    );

    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    let stored = sqlite_keys(stopped.dir.path()).await;
    assert!(
        stored.len() <= BOUND && stored.contains(key),
        "{} keys stored: {stored:?}",
        stored.len()
    );
}
