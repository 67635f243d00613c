//! Browsers: the CORS allow-list, preflight and HEAD on every GET route.
//!
//! Web users reach the API from a front end on another origin. `FS_CORS_ORIGINS` lists the
//! origins allowed; with none listed (the default) no answer carries CORS headers.

use reqwest::Method;

use crate::harness::{assert_envelope, market_path, Gateway, Resp, DEMO_CONDITION_ID};
use crate::trading::{Trader, DEV_ENV};

const ORIGIN: &str = "https://app.example.com";
/// Every request header the API reads (`privy-id-token` names the wallet beside a JWT).
const API_HEADERS: [&str; 7] = [
    "authorization",
    "fs-api-key",
    "fs-api-secret",
    "privy-id-token",
    "fs-idempotency-key",
    "content-type",
    "x-correlation-id",
];

async fn cors_gateway() -> Gateway {
    let mut env = DEV_ENV.to_vec();
    env.push((
        "FS_CORS_ORIGINS",
        "https://app.example.com, http://localhost:3000",
    ));
    Gateway::start(&env).await
}

async fn preflight(gw: &Gateway, origin: &str, method: &str, path: &str) -> Resp {
    gw.send(
        gw.request(Method::OPTIONS, path)
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", API_HEADERS.join(",")),
    )
    .await
}

fn listed(resp: &Resp, header: &str) -> Vec<String> {
    resp.header(header)
        .unwrap_or_default()
        .split(',')
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_names_every_header_the_api_reads() {
    let gw = cors_gateway().await;
    for (method, path) in [
        ("POST", "/v1/orders"),
        ("DELETE", "/v1/auth/api-keys/some-key"),
        ("PATCH", "/v1/auth/api-keys/some-key"),
        ("GET", "/v1/orders"),
    ] {
        let r = preflight(&gw, ORIGIN, method, path).await;
        assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
        assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
        assert!(listed(&r, "access-control-allow-methods").contains(&method.to_ascii_lowercase()));
        let allowed = listed(&r, "access-control-allow-headers");
        for h in API_HEADERS {
            assert!(
                allowed.iter().any(|a| a == h),
                "{h} missing from {allowed:?}"
            );
        }
        assert_eq!(r.header("access-control-allow-credentials"), None);
        assert!(r.header("access-control-max-age").is_some());
    }
    let r = preflight(&gw, "http://localhost:3000", "POST", "/v1/orders").await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
}

#[tokio::test]
async fn a_preflight_from_an_unlisted_origin_is_refused_in_the_envelope() {
    let gw = cors_gateway().await;
    let r = preflight(&gw, "https://evil.example.net", "POST", "/v1/orders").await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "Origin");
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn answers_to_an_allowed_origin_carry_the_cors_headers_errors_included() {
    let gw = cors_gateway().await;
    let r = gw.get_with("/v1/markets", &[("origin", ORIGIN)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    let exposed = listed(&r, "access-control-expose-headers");
    assert!(
        exposed.iter().any(|h| h == "x-correlation-id"),
        "{exposed:?}"
    );
    assert!(exposed.iter().any(|h| h == "retry-after"), "{exposed:?}");

    // A page must be able to read why it was refused.
    let r = gw.get_with("/v1/orders", &[("origin", ORIGIN)]).await;
    assert_envelope(&r, 401, "AUTH_MISSING", "");
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));

    // Another origin is served as any client, without the headers that would let its page read it.
    let r = gw
        .get_with("/v1/markets", &[("origin", "https://evil.example.net")])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn without_cors_origins_no_answer_allows_another_origin() {
    let gw = Gateway::start(&[]).await;
    let r = preflight(&gw, ORIGIN, "POST", "/v1/orders").await;
    assert!(r.status >= 400, "{}", r.text);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = gw.get_with("/v1/markets", &[("origin", ORIGIN)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn head_answers_every_get_route_as_get_does_without_the_body() {
    let gw = Gateway::start(&DEV_ENV).await;
    let trader = Trader::new(&gw, "browsers-head").await;
    let unknown_order = format!("/v1/orders/0x{}", "ab".repeat(32));
    let routes = [
        "/health".to_owned(),
        "/ready".to_owned(),
        "/metrics".to_owned(),
        "/v1/markets".to_owned(),
        market_path(DEMO_CONDITION_ID, ""),
        market_path(DEMO_CONDITION_ID, "/tokens"),
        market_path(DEMO_CONDITION_ID, "/book"),
        market_path(DEMO_CONDITION_ID, "/ticker"),
        market_path(DEMO_CONDITION_ID, "/trades"),
        "/v1/orders".to_owned(),
        unknown_order,
        "/v1/auth/api-keys".to_owned(),
    ];
    // The key routes are L1: they take the Privy token; the others the key pair.
    let credentials = |rb: reqwest::RequestBuilder, path: &str| {
        if path.starts_with("/v1/auth/") {
            rb.bearer_auth(&trader.jwt)
        } else {
            trader.keyed(rb)
        }
    };
    for path in &routes {
        let get = gw
            .send(credentials(gw.request(Method::GET, path), path))
            .await;
        let head = gw
            .send(credentials(gw.request(Method::HEAD, path), path))
            .await;
        assert_eq!(head.status, get.status, "HEAD {path}: {}", get.text);
        assert!(
            head.text.is_empty(),
            "HEAD {path} sent a body: {}",
            head.text
        );
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "HEAD {path}"
        );
    }
}
