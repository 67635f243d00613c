//! Secrets never reach the log.

use reqwest::Method;
use serde_json::json;

use crate::harness::{assert_envelope, condition_id, market_body, Gateway, ADMIN_TOKEN};

/// Admin calls of every kind: created, patched, credited, refused, and a wrong token.
async fn exercise_admin_api(gw: &Gateway) {
    gw.create_market(&market_body(1)).await;
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{}?chain_id=56", condition_id(1)),
            &json!({"status": "PAUSED"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = gw
        .admin_post(
            "/admin/v1/balances",
            &json!({"wallet": "0x3333333333333333333333333333333333333333",
                    "asset": "collateral", "amount": "5"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = gw
        .admin_post("/admin/v1/markets", &json!({"bad": true}))
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "");
    let wrong = format!("{ADMIN_TOKEN}-wrong");
    let r = gw
        .send(
            gw.request(Method::POST, "/admin/v1/markets")
                .bearer_auth(&wrong)
                .json(&market_body(2)),
        )
        .await;
    assert_envelope(&r, 401, "AUTH_INVALID", "");
}

#[tokio::test]
async fn logs_never_contain_the_admin_token() {
    let gw = Gateway::start(&[("FS_ADMIN_TOKEN", ADMIN_TOKEN)]).await;
    exercise_admin_api(&gw).await;
    let stopped = gw.stop();
    assert!(stopped.logs.contains("market created"), "{}", stopped.logs);
    assert!(
        !stopped.logs.contains(ADMIN_TOKEN),
        "the admin token is in the log:\n{}",
        stopped.logs
    );
}

#[tokio::test]
async fn trace_logs_never_contain_the_admin_token() {
    let gw = Gateway::start(&[("FS_ADMIN_TOKEN", ADMIN_TOKEN), ("RUST_LOG", "trace")]).await;
    exercise_admin_api(&gw).await;
    let stopped = gw.stop();
    assert!(
        !stopped.logs.contains(ADMIN_TOKEN),
        "the admin token is in the trace log:\n{}",
        stopped.logs
    );
}

#[tokio::test]
async fn json_logs_never_contain_the_admin_token() {
    let gw = Gateway::start(&[("FS_ADMIN_TOKEN", ADMIN_TOKEN), ("FS_LOG_FORMAT", "json")]).await;
    exercise_admin_api(&gw).await;
    let stopped = gw.stop();
    for line in stopped.logs.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not a JSON log line: {line:?}"
        );
    }
    assert!(!stopped.logs.contains(ADMIN_TOKEN), "{}", stopped.logs);
}

/// `url` with `password` put in when it has none; returns the URL and the password it carries.
fn with_password(url: &str, password: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (userinfo, host) = rest.split_once('@').expect("a user in the URL");
    match userinfo.split_once(':') {
        Some((_, existing)) => (url.to_owned(), existing.to_owned()),
        // Without a password in the test server's URL, its authentication is `trust`, and an
        // added password is ignored by the server but must still be kept out of the log.
        None => (
            format!("{scheme}://{userinfo}:{password}@{host}"),
            password.to_owned(),
        ),
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn database_password_never_reaches_the_log() {
    let schema = test_support::PgSchema::create().await;
    let (url, password) = with_password(&schema.url, "pw-9d8c7b6a5f4e");
    let gw = Gateway::start(&[("DATABASE_URL", &url), ("RUST_LOG", "debug")]).await;
    assert_eq!(gw.get("/ready").await.status, 200);
    let stopped = gw.stop();
    assert!(stopped.logs.contains("database ready"), "{}", stopped.logs);
    assert!(
        !stopped.logs.contains(&password),
        "the database password is in the log:\n{}",
        stopped.logs
    );
}

#[tokio::test]
async fn unreachable_database_error_does_not_print_the_password() {
    let password = "pw-1a2b3c4d5e6f";
    let url = format!("postgres://gateway:{password}@127.0.0.1:1/gateway");
    let exited = match Gateway::try_start(&[("DATABASE_URL", &url)], &[]).await {
        Ok(gw) => panic!("started without a database; log:\n{}", gw.logs()),
        Err(e) => e,
    };
    assert!(!exited.status.success());
    assert!(exited.stderr.contains("DATABASE_URL"), "{}", exited.stderr);
    assert!(
        !exited.stderr.contains(password),
        "the password is printed:\n{}",
        exited.stderr
    );
    assert!(!exited.stderr.contains("panicked"), "{}", exited.stderr);
}
