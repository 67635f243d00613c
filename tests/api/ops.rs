//! docs/api.md 9, operations routes: `/health`, `/ready` (database and Redis) and `/metrics`.

use std::time::Duration;

use serde_json::json;

use crate::harness::{assert_envelope, market_path, Gateway, DEMO_CONDITION_ID};

#[tokio::test]
async fn health_is_200_while_the_process_is_up() {
    let gw = Gateway::start(&[]).await;
    let r = gw.get("/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
}

#[tokio::test]
async fn ready_is_200_with_the_database_ok() {
    let gw = Gateway::start(&[]).await;
    let r = gw.get("/ready").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["database"], "ok");
    assert_eq!(r.body["redis"], "not_configured");
    assert_eq!(r.body["unreadable_rows"], json!([]));
}

/// The value of the `http_requests_total` sample with these labels, if any.
fn requests_total(metrics: &str, route: &str, method: &str, status: u16) -> Option<u64> {
    let labels = [
        format!("route=\"{route}\""),
        format!("method=\"{method}\""),
        format!("status=\"{status}\""),
    ];
    metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .find(|l| labels.iter().all(|label| l.contains(label.as_str())))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let gw = Gateway::start(&[("FS_DEV_MODE", "true")]).await;
    let market = "/v1/markets/{condition_id}";
    let before = gw.get("/metrics").await;
    assert_eq!(requests_total(&before.text, market, "GET", 200), None);
    for _ in 0..3 {
        let r = gw.get(&market_path(DEMO_CONDITION_ID, "")).await;
        assert_eq!(r.status, 200);
    }
    let r = gw
        .get(&market_path(&crate::harness::condition_id(9), ""))
        .await;
    assert_envelope(&r, 404, "NOT_FOUND", "");
    let r = gw.get("/v1/no-such-route-7c1e").await;
    assert_envelope(&r, 404, "NOT_FOUND", "");

    let r = gw.get("/metrics").await;
    assert_eq!(r.status, 200);
    let content_type = r.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("text/plain") && content_type.contains("version=0.0.4"),
        "content-type {content_type:?}"
    );
    assert!(
        r.text.contains("# TYPE http_requests_total counter"),
        "{}",
        r.text
    );
    assert!(r
        .text
        .contains("# TYPE http_request_duration_seconds histogram"));
    assert_eq!(
        requests_total(&r.text, market, "GET", 200),
        Some(3),
        "{}",
        r.text
    );
    assert_eq!(
        requests_total(&r.text, market, "GET", 404),
        Some(1),
        "{}",
        r.text
    );
    // Raw paths never become labels.
    assert!(!r.text.contains(DEMO_CONDITION_ID));
    assert!(!r.text.contains("no-such-route-7c1e"));
}

#[tokio::test]
#[ignore = "needs Redis"]
async fn ready_reports_redis_ok_when_redis_answers() {
    let redis = test_support::require_redis();
    let gw = Gateway::start(&[("REDIS_URL", &redis)]).await;
    let r = gw.get("/ready").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"status": "ready", "database": "ok", "redis": "ok", "unreadable_rows": []})
    );
}

#[tokio::test]
async fn ready_is_503_when_redis_is_down_while_other_routes_answer() {
    let gw = Gateway::start(&[
        ("REDIS_URL", "redis://127.0.0.1:1"),
        ("FS_DEV_MODE", "true"),
    ])
    .await;
    let r = gw.get("/ready").await;
    assert_envelope(&r, 503, "SERVICE_DEGRADED", "Redis");
    let r = gw.get("/health").await;
    assert_eq!(r.status, 200);
    for suffix in ["", "/tokens", "/book", "/ticker", "/trades"] {
        let r = gw.get(&market_path(DEMO_CONDITION_ID, suffix)).await;
        assert_eq!(r.status, 200, "{suffix} with Redis down: {}", r.text);
    }
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.status, 200);
    // Still degraded on the next probe, and quickly.
    let started = std::time::Instant::now();
    let r = gw.get("/ready").await;
    assert_envelope(&r, 503, "SERVICE_DEGRADED", "");
    assert!(started.elapsed() < Duration::from_secs(5));
}
