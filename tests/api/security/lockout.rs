//! Lockout: failed attempts throttle their source, never the key's legitimate holder.
//!
//! On loopback every client would be 127.0.0.1; each attacker here binds its sockets to an
//! address of its own in 127.0.0.0/8, which the gateway sees as the peer.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use auth::throttle::{MAX_FAILURES_PER_IP, MAX_FAILURES_PER_KEY_FROM_IP};
use reqwest::{Method, RequestBuilder};

use crate::harness::{assert_envelope, Gateway, Resp, ADMIN_TOKEN};
use crate::trading::{dev_gateway, Trader};

const WRONG_SECRET: &str = "fs_secret_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

/// A client whose connections come from 127.0.0.`n`.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTP client on a loopback address")
}

fn keyed(rb: RequestBuilder, key_id: &str, secret: &str) -> RequestBuilder {
    rb.header("fs-api-key", key_id)
        .header("fs-api-secret", secret)
}

/// `GET /v1/orders` from 127.0.0.`from` with this key pair.
async fn orders_from(gw: &Gateway, from: u8, key_id: &str, secret: &str) -> Resp {
    let rb = client_from(from).request(Method::GET, gw.url("/v1/orders"));
    gw.send(keyed(rb, key_id, secret)).await
}

/// A well-formed key id that no key has.
fn unknown_key_id(n: u32) -> String {
    format!("fs_key_{n:0>32}")
}

#[track_caller]
fn assert_throttled(r: &Resp) {
    assert_envelope(r, 429, "RATE_LIMITED", "failed authentication");
    let retry_after: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {:?}", r.headers));
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
}

#[tokio::test]
async fn failed_attempts_from_other_ips_never_throttle_the_key_holder() {
    let gw = dev_gateway().await;
    let victim = Trader::new(&gw, "lockout-victim").await;
    // Twice the old per-key limit of wrong secrets for the victim's public key id, each from
    // another address: none of them is throttled, and none throttles the victim.
    for n in 2..=41 {
        let r = orders_from(&gw, n, &victim.key_id, WRONG_SECRET).await;
        assert_envelope(&r, 401, "AUTH_INVALID", "Invalid API key or secret");
    }
    for _ in 0..3 {
        let r = victim.get(&gw, "/v1/orders").await;
        assert_eq!(r.status, 200, "the key's holder: {}", r.text);
    }
    let r = orders_from(&gw, 42, &victim.key_id, &victim.secret).await;
    assert_eq!(r.status, 200, "the holder from another address: {}", r.text);
}

#[tokio::test]
async fn an_ip_over_the_failure_limit_is_throttled_and_other_ips_are_not() {
    let gw = dev_gateway().await;
    let holder = Trader::new(&gw, "lockout-holder").await;
    let attacker = 50;
    // Spraying key ids: each pair stays under its own limit, the address does not.
    for n in 0..MAX_FAILURES_PER_IP {
        let r = orders_from(&gw, attacker, &unknown_key_id(n), WRONG_SECRET).await;
        assert_envelope(&r, 401, "AUTH_INVALID", "");
    }
    // Refused before the credentials are looked at, even good ones.
    let r = orders_from(&gw, attacker, &holder.key_id, &holder.secret).await;
    assert_throttled(&r);
    let r = orders_from(&gw, 51, &holder.key_id, &holder.secret).await;
    assert_eq!(r.status, 200, "another address: {}", r.text);
    let r = holder.get(&gw, "/v1/orders").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_key_id_failing_from_one_ip_is_throttled_from_that_ip_only() {
    let gw = dev_gateway().await;
    let holder = Trader::new(&gw, "lockout-pair").await;
    let other = Trader::new(&gw, "lockout-pair-other").await;
    let noisy = 60;
    for _ in 0..MAX_FAILURES_PER_KEY_FROM_IP {
        let r = orders_from(&gw, noisy, &holder.key_id, WRONG_SECRET).await;
        assert_envelope(&r, 401, "AUTH_INVALID", "");
    }
    assert_throttled(&orders_from(&gw, noisy, &holder.key_id, &holder.secret).await);
    // The address itself is not throttled: another key from it works.
    let r = orders_from(&gw, noisy, &other.key_id, &other.secret).await;
    assert_eq!(r.status, 200, "another key from that address: {}", r.text);
    // Nor is the key anywhere else.
    let r = orders_from(&gw, 61, &holder.key_id, &holder.secret).await;
    assert_eq!(r.status, 200, "the key from another address: {}", r.text);
}

#[tokio::test]
async fn failed_admin_tokens_are_throttled_per_ip() {
    let gw = dev_gateway().await;
    let admin_from = |n: u8, token: &str| {
        client_from(n)
            .request(Method::POST, gw.url("/admin/v1/balances"))
            .bearer_auth(token)
            .json(&serde_json::json!({
                "wallet": format!("0x{}", "ab".repeat(20)),
                "asset": "collateral",
                "amount": "1"
            }))
    };
    let attacker = 70;
    for n in 0..MAX_FAILURES_PER_IP {
        let r = gw
            .send(admin_from(attacker, &format!("adm-guess-{n:0>16}")))
            .await;
        assert_envelope(&r, 401, "AUTH_INVALID", "Invalid admin token");
    }
    // Refused before the token is compared: the right token from there is refused too.
    assert_throttled(&gw.send(admin_from(attacker, ADMIN_TOKEN)).await);
    let r = gw.send(admin_from(71, ADMIN_TOKEN)).await;
    assert_eq!(
        r.status, 200,
        "the operators from another address: {}",
        r.text
    );
}
