//! docs/api.md 9, shutdown: SIGTERM drains and exits 0.

use std::time::Duration;

use crate::harness::{assert_envelope, Gateway, Resp};

#[tokio::test]
async fn sigterm_exits_0_quickly_and_logs_gateway_stopped() {
    let gw = Gateway::start(&[]).await;
    assert_eq!(gw.get("/health").await.status, 200);
    let stopped = gw.stop();
    assert_eq!(
        stopped.status.code(),
        Some(0),
        "exit status; log:\n{}",
        stopped.logs
    );
    assert!(
        stopped.elapsed < Duration::from_secs(5),
        "took {:?} to stop",
        stopped.elapsed
    );
    assert!(
        stopped.logs.contains("gateway stopped"),
        "log:\n{}",
        stopped.logs
    );
    assert!(!stopped.logs.contains("panicked"), "{}", stopped.logs);
}

#[tokio::test]
async fn sigterm_with_an_idle_keep_alive_connection_still_exits_quickly() {
    let gw = Gateway::start(&[]).await;
    // A client that keeps its connection open between requests, as most do.
    let client = reqwest::Client::new();
    let r = client.get(gw.url("/health")).send().await.expect("request");
    assert_eq!(r.status(), 200);
    let _ = r.text().await;
    let stopped = gw.stop();
    assert_eq!(stopped.status.code(), Some(0), "log:\n{}", stopped.logs);
    assert!(
        stopped.elapsed < Duration::from_secs(5),
        "an idle keep-alive connection held shutdown for {:?}",
        stopped.elapsed
    );
    drop(client);
}

#[tokio::test]
async fn sigterm_right_after_start_exits_0() {
    let gw = Gateway::start(&[("FS_DEV_MODE", "true")]).await;
    let stopped = gw.stop();
    assert_eq!(stopped.status.code(), Some(0), "log:\n{}", stopped.logs);
    assert!(stopped.logs.contains("gateway stopped"));
}

/// A TCP server that accepts connections and never answers: a Redis that hangs.
fn silent_server() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_a_request_in_flight() {
    // `/ready` waits up to 2 s for a Redis that never answers: a request in flight.
    let redis = format!("redis://{}", silent_server());
    let gw = Gateway::start(&[("REDIS_URL", &redis)]).await;
    let url = gw.url("/ready");
    let in_flight = tokio::spawn(async move {
        let r = reqwest::Client::new()
            .get(url)
            .header("x-correlation-id", "drain-1")
            .send()
            .await?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await?;
        Ok::<_, reqwest::Error>(Resp {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or_default(),
            text,
        })
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = tokio::task::spawn_blocking(move || gw.stop())
        .await
        .expect("stop");
    let r = in_flight
        .await
        .expect("join")
        .expect("the request in flight is answered, not cut off");
    assert_envelope(&r, 503, "SERVICE_DEGRADED", "Redis");
    assert_eq!(r.body["correlation_id"], "drain-1");
    assert_eq!(stopped.status.code(), Some(0), "log:\n{}", stopped.logs);
    assert!(
        stopped.elapsed < Duration::from_secs(10),
        "{:?}",
        stopped.elapsed
    );
    assert!(stopped.logs.contains("gateway stopped"));
}
