//! Slow clients: the body read is bounded in time, connections are capped per source IP, health keeps answering.
//!
//! The attacks come from other loopback addresses (127.0.0.2 and up; all of 127.0.0.0/8 is
//! loopback on Linux), so that the test's own requests from 127.0.0.1 are another client.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::raw_http::{addr, loopback, Conn, RawResponse};
use crate::harness::{Gateway, ADMIN_TOKEN};
use crate::trading::{Trader, DEV_ENV};

/// A dev gateway (demo market, admin API) with these settings too.
async fn gateway(settings: &[(&str, &str)]) -> Gateway {
    let env: Vec<(&str, &str)> = DEV_ENV.iter().chain(settings).copied().collect();
    Gateway::start(&env).await
}

fn keyed_headers(trader: &Trader) -> String {
    format!(
        "fs-api-key: {}\r\nfs-api-secret: {}\r\n",
        trader.key_id, trader.secret
    )
}

/// The head of a request announcing a body, with extra header lines.
fn head(method_path: &str, headers: &str, framing: &str) -> String {
    format!(
        "{method_path} HTTP/1.1\r\nHost: gateway\r\ncontent-type: application/json\r\n\
         {headers}{framing}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused_with_408_and_the_connection_closed() {
    let gw = gateway(&[("FS_BODY_TIMEOUT_MS", "1500")]).await;
    let trader = Trader::new(&gw, "slow-body").await;
    let to = addr(&gw);
    let key = keyed_headers(&trader);
    let jwt = format!("authorization: Bearer {}\r\n", trader.jwt);
    let admin = format!("authorization: Bearer {ADMIN_TOKEN}\r\n");
    // Every tier, both framings; each sends a byte every 200 ms and never finishes.
    let cases = [
        ("POST /v1/orders", key.as_str(), "content-length: 1048576"),
        (
            "POST /v1/orders/cancel",
            key.as_str(),
            "transfer-encoding: chunked",
        ),
        (
            "POST /v1/auth/api-keys",
            jwt.as_str(),
            "content-length: 1000",
        ),
        (
            "POST /admin/v1/markets",
            admin.as_str(),
            "content-length: 1000",
        ),
        ("POST /v1/markets", "", "content-length: 1000"),
    ];
    let outcomes = join_all(cases.iter().map(|(request, headers, framing)| async move {
        let mut conn = Conn::open(loopback(1), to).await.expect("connect");
        conn.send(head(request, headers, framing).as_bytes())
            .await
            .expect("send the head");
        let sent = Instant::now();
        let piece: &[u8] = if framing.starts_with("transfer") {
            b"1\r\n{\r\n"
        } else {
            b"{"
        };
        let response = conn
            .trickle(piece, Duration::from_millis(200), Duration::from_secs(10))
            .await;
        let answered_after = sent.elapsed();
        let closed = conn.closed_within(Duration::from_secs(3)).await;
        (*request, *framing, response, answered_after, closed)
    }))
    .await;
    for (request, framing, response, answered_after, closed) in outcomes {
        let response =
            response.unwrap_or_else(|| panic!("{request} ({framing}): no answer in 10 s"));
        response.assert_envelope(408, "REQUEST_TIMEOUT");
        assert_eq!(response.header("connection"), Some("close"), "{response:?}");
        assert!(
            answered_after >= Duration::from_millis(1400)
                && answered_after < Duration::from_secs(5),
            "{request} ({framing}) answered after {answered_after:?}, the timeout is 1.5 s"
        );
        assert!(closed, "{request} ({framing}): the connection stayed open");
    }
}

#[tokio::test]
async fn connections_over_the_per_ip_cap_are_refused_until_others_close() {
    let gw = gateway(&[("FS_MAX_CONNECTIONS_PER_IP", "5")]).await;
    let to = addr(&gw);
    let client = loopback(3);
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut conn = Conn::open(client, to).await.expect("connect");
        let r = conn.get("/v1/markets").await.expect("an answer");
        assert_eq!(r.status, 200, "{r:?}");
        held.push(conn);
    }
    // The sixth is refused at once and closed; its body, announced, is never read.
    let mut sixth = Conn::open(client, to).await.expect("connect");
    sixth
        .send(head("POST /v1/orders", "", "content-length: 1048576").as_bytes())
        .await
        .expect("send the head");
    let r = sixth.response().await.expect("an answer");
    r.assert_envelope(429, "RATE_LIMITED");
    assert!(r.header("retry-after").is_some(), "{r:?}");
    assert_eq!(r.header("connection"), Some("close"), "{r:?}");
    assert!(sixth.closed_within(Duration::from_secs(3)).await);
    // Another address is not affected.
    let mut other = Conn::open(loopback(4), to).await.expect("connect");
    assert_eq!(
        other.get("/v1/markets").await.expect("an answer").status,
        200
    );
    drop(other);

    // Closing gives the places back: five new connections are served, the sixth is not.
    held.clear();
    let deadline = Instant::now() + Duration::from_secs(5);
    let first = loop {
        let mut conn = Conn::open(client, to).await.expect("connect");
        let r = conn.get("/v1/markets").await.expect("an answer");
        if r.status == 200 {
            break conn;
        }
        assert_eq!(r.status, 429, "{r:?}");
        assert!(
            Instant::now() < deadline,
            "closed connections still count after 5 s"
        );
        drop(conn);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    held.push(first);
    for _ in 0..4 {
        let mut conn = Conn::open(client, to).await.expect("connect");
        let r = conn.get("/v1/markets").await.expect("an answer");
        assert_eq!(r.status, 200, "{r:?}");
        held.push(conn);
    }
    let mut sixth = Conn::open(client, to).await.expect("connect");
    let r = sixth.get("/v1/markets").await.expect("an answer");
    r.assert_envelope(429, "RATE_LIMITED");
}

#[tokio::test]
async fn health_and_ready_answer_on_a_connection_over_the_cap() {
    let gw = gateway(&[("FS_MAX_CONNECTIONS_PER_IP", "2")]).await;
    let to = addr(&gw);
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = Conn::open(loopback(5), to).await.expect("connect");
        assert_eq!(
            conn.get("/v1/markets").await.expect("an answer").status,
            200
        );
        held.push(conn);
    }
    let mut over = Conn::open(loopback(5), to).await.expect("connect");
    for path in ["/health", "/ready", "/health"] {
        let r = over.get(path).await.expect("an answer");
        assert_eq!(r.status, 200, "{path}: {r:?}");
    }
    let r = over.get("/v1/markets").await.expect("an answer");
    r.assert_envelope(429, "RATE_LIMITED");
}

#[tokio::test]
async fn connections_from_a_trusted_proxy_are_not_capped() {
    let gw = gateway(&[
        ("FS_MAX_CONNECTIONS_PER_IP", "2"),
        ("FS_TRUSTED_PROXIES", "127.0.0.6"),
    ])
    .await;
    let to = addr(&gw);
    let mut held = Vec::new();
    for _ in 0..6 {
        let mut conn = Conn::open(loopback(6), to).await.expect("connect");
        let r = conn.get("/v1/markets").await.expect("an answer");
        assert_eq!(r.status, 200, "{r:?}");
        held.push(conn);
    }
    // An address next to it is capped as usual.
    let mut untrusted = Vec::new();
    for _ in 0..2 {
        let mut conn = Conn::open(loopback(7), to).await.expect("connect");
        assert_eq!(
            conn.get("/v1/markets").await.expect("an answer").status,
            200
        );
        untrusted.push(conn);
    }
    let mut third = Conn::open(loopback(7), to).await.expect("connect");
    third
        .get("/v1/markets")
        .await
        .expect("an answer")
        .assert_envelope(429, "RATE_LIMITED");
}

/// How one slow-body connection ended.
struct Outcome {
    response: Option<RawResponse>,
    /// From the end of the head to the answer.
    answered_after: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_slow_bodies_from_one_address_are_cut_off_while_health_answers() {
    const ATTACKERS: usize = 300;
    const CAP: usize = 50;
    let body_timeout = Duration::from_secs(3);
    let gw = gateway(&[
        ("FS_MAX_CONNECTIONS_PER_IP", "50"),
        ("FS_BODY_TIMEOUT_MS", "3000"),
    ])
    .await;
    let trader = Trader::new(&gw, "slow-attacker").await;
    let to = addr(&gw);
    let request = head(
        "POST /v1/orders",
        &keyed_headers(&trader),
        "content-length: 1048576",
    );
    let started = Instant::now();
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut conn = Conn::open(loopback(2), to).await.expect("connect");
                conn.send(request.as_bytes()).await.expect("send the head");
                let sent = Instant::now();
                // One byte a second, for longer than the test may take.
                let response = conn
                    .trickle(b"{", Duration::from_secs(1), Duration::from_secs(20))
                    .await;
                Outcome {
                    response,
                    answered_after: sent.elapsed(),
                }
            })
        })
        .collect();

    // Throughout the attack, /health answers in under 100 ms, from another address and from
    // the attacker's own, on new connections.
    let mut polls = 0;
    while !attackers.iter().all(|a| a.is_finished()) {
        for from in [loopback(1), loopback(2)] {
            let asked = Instant::now();
            let mut conn = Conn::open(from, to).await.expect("connect for /health");
            let r = conn.get("/health").await.expect("/health answers");
            let took = asked.elapsed();
            assert_eq!(r.status, 200, "{r:?}");
            assert!(
                took < Duration::from_millis(100),
                "/health from {from} took {took:?} after {polls} polls, {:?} into the attack",
                started.elapsed()
            );
            polls += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(polls >= 20, "only {polls} health polls during the attack");

    let mut refused = 0;
    let mut timed_out = 0;
    for attacker in attackers {
        let outcome = attacker.await.expect("the attacker task");
        let r = outcome
            .response
            .expect("every slow connection is answered (429 or 408) and closed");
        match r.status {
            429 => {
                r.assert_envelope(429, "RATE_LIMITED");
                assert!(
                    outcome.answered_after < body_timeout,
                    "a connection over the cap was answered after {:?}",
                    outcome.answered_after
                );
                refused += 1;
            }
            408 => {
                r.assert_envelope(408, "REQUEST_TIMEOUT");
                assert!(
                    outcome.answered_after >= body_timeout - Duration::from_millis(100),
                    "cut off after {:?}",
                    outcome.answered_after
                );
                timed_out += 1;
            }
            _ => panic!("unexpected answer {r:?}"),
        }
    }
    // The health checks from the same address also took places while they were open.
    assert!(
        timed_out <= CAP && timed_out > 0,
        "{timed_out} bodies waited for"
    );
    assert_eq!(refused + timed_out, ATTACKERS);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
