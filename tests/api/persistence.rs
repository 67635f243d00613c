//! Storage (README.md, "Configuration"): SQLite by default, PostgreSQL by `DATABASE_URL`; data
//! survives a restart.

use serde_json::json;
use test_support::PgSchema;

use crate::harness::{condition_id, market_body, market_path, token_ids, Gateway, ADMIN_TOKEN};

const WALLET: &str = "0x2222222222222222222222222222222222222222";

/// Creates market 1 (then PAUSED, with a translation) and credits a balance; returns the market.
async fn write_some_data(gw: &Gateway) -> serde_json::Value {
    gw.create_market(&market_body(1)).await;
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{}?chain_id=56", condition_id(1)),
            &json!({"status": "PAUSED", "translations": {"cn": {"summary": "摘要", "rules": "规则"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = gw
        .admin_post(
            "/admin/v1/balances",
            &json!({"wallet": WALLET, "asset": token_ids(1).0, "amount": "18446744073709551616"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    gw.get(&market_path(&condition_id(1), "")).await.body
}

/// After a restart: the market reads the same, and balances continue from where they were.
async fn assert_data_survived(gw: &Gateway, market: &serde_json::Value) {
    let r = gw.get(&market_path(&condition_id(1), "")).await;
    assert_eq!(r.status, 200, "the market after a restart: {}", r.text);
    assert_eq!(&r.body, market);
    assert_eq!(r.body["status"], "PAUSED");
    let r = gw
        .get_with(&market_path(&condition_id(1), ""), &[("x-language", "cn")])
        .await;
    assert_eq!(r.body["summary"], "摘要");
    let r = gw.get("/v1/markets?status=paused").await;
    assert_eq!(r.body["data"][0]["condition_id"], condition_id(1));
    let r = gw
        .admin_post(
            "/admin/v1/balances",
            &json!({"wallet": WALLET, "asset": token_ids(1).0, "amount": "1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["available"], "18446744073709551617");
}

#[tokio::test]
async fn sqlite_data_survives_a_restart() {
    let env = [("FS_ADMIN_TOKEN", ADMIN_TOKEN)];
    let gw = Gateway::start(&env).await;
    let market = write_some_data(&gw).await;
    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    assert!(stopped.dir.path().join("data/gateway.db").exists());
    let gw = Gateway::start_in(stopped.dir, &env).await;
    assert_data_survived(&gw, &market).await;
}

#[tokio::test]
async fn dev_seed_is_not_duplicated_by_a_restart() {
    let env = [("FS_DEV_MODE", "true")];
    let gw = Gateway::start(&env).await;
    let stopped = gw.stop();
    let gw = Gateway::start_in(stopped.dir, &env).await;
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_gateway_is_ready() {
    let schema = PgSchema::create().await;
    let gw = Gateway::start(&[("DATABASE_URL", &schema.url), ("FS_DEV_MODE", "true")]).await;
    let r = gw.get("/ready").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["database"], "ok");
    let r = gw.get("/v1/markets").await;
    assert_eq!(
        r.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
    // Nothing went to SQLite.
    assert!(!gw.dir().join("data/gateway.db").exists());
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_data_survives_a_restart() {
    let schema = PgSchema::create().await;
    let env = [
        ("DATABASE_URL", schema.url.as_str()),
        ("FS_ADMIN_TOKEN", ADMIN_TOKEN),
    ];
    let gw = Gateway::start(&env).await;
    let market = write_some_data(&gw).await;
    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    // A fresh working directory: the data can only come from PostgreSQL.
    let gw = Gateway::start(&env).await;
    assert_data_survived(&gw, &market).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_market_created_on_one_instance_reaches_another() {
    let schema = PgSchema::create().await;
    let env = [
        ("DATABASE_URL", schema.url.as_str()),
        ("FS_ADMIN_TOKEN", ADMIN_TOKEN),
        ("FS_MARKET_REFRESH_MS", "100"),
    ];
    let a = Gateway::start(&env).await;
    let b = Gateway::start(&env).await;
    a.create_market(&market_body(1)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = b.get(&market_path(&condition_id(1), "")).await;
        if r.status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "instance b never saw the market: {}",
            r.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_status_change_on_one_instance_reaches_the_other() {
    let schema = PgSchema::create().await;
    let env = [
        ("DATABASE_URL", schema.url.as_str()),
        ("FS_ADMIN_TOKEN", ADMIN_TOKEN),
        ("FS_MARKET_REFRESH_MS", "100"),
    ];
    let a = Gateway::start(&env).await;
    a.create_market(&market_body(1)).await;
    let b = Gateway::start(&env).await;
    assert_eq!(b.get(&market_path(&condition_id(1), "")).await.status, 200);
    let path = format!("/admin/v1/markets/{}?chain_id=56", condition_id(1));
    for (writer, reader, status) in [(&b, &a, "PAUSED"), (&a, &b, "OPEN"), (&b, &a, "CLOSED")] {
        let r = writer.admin_patch(&path, &json!({"status": status})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let r = reader.get(&market_path(&condition_id(1), "")).await;
            if r.body["status"] == status {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the other instance still says {} instead of {status}",
                r.body["status"]
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
