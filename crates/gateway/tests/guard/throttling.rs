//! Throttling of repeated failures, per address and per (address, key id): never per key id
//! alone, so failures from other addresses never throttle the key's holder.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::json;

use auth::throttle::{MAX_FAILURES_PER_IP, MAX_FAILURES_PER_KEY_FROM_IP};

use crate::common::{claims, expect, fixture, get, service, with_key, Jwt, WALLET};

#[actix_web::test]
async fn repeated_failures_throttle_their_source_but_never_a_good_client_elsewhere() {
    let f = fixture(None).await;
    let app = service!(f);
    let jwt = Jwt(f
        .key
        .sign(None, &claims("did:privy:alice", Some(WALLET), json!({})))
        .unwrap());
    let attacker: std::net::SocketAddr = "10.9.9.9:5000".parse().unwrap();
    let good: std::net::SocketAddr = "10.1.1.1:5000".parse().unwrap();
    for i in 0..MAX_FAILURES_PER_IP {
        let req = get("/t/read")
            .peer_addr(attacker)
            .insert_header(("authorization", "Bearer x.y.z"));
        let res = test::call_service(&app, req.to_request()).await;
        expect(res, 401, Some("AUTH_INVALID"), &format!("failure {i}")).await;
    }
    let req = get("/t/read")
        .peer_addr(attacker)
        .insert_header(jwt.header());
    let res = test::call_service(&app, req.to_request()).await;
    expect(
        res,
        429,
        Some("RATE_LIMITED"),
        "past the address's limit, even with a good token",
    )
    .await;
    // 100 good requests from another address (more than 20 a second): never throttled.
    for _ in 0..100 {
        let req = get("/t/read").peer_addr(good).insert_header(jwt.header());
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/v1/auth/api-keys")
            .insert_header(jwt.header())
            .set_json(json!({}))
            .to_request(),
    )
    .await;
    let key = expect(res, 201, None, "create").await;
    let key_id = key["key_id"].as_str().unwrap();
    let wrong = format!("fs_secret_{}", "B".repeat(43));
    let secret = key["secret"].as_str().unwrap();
    // Against one key id, from many addresses: they never add up.
    for i in 0..40u8 {
        let addr = std::net::SocketAddr::from(([10, 2, 0, i], 5000));
        let res = test::call_service(
            &app,
            with_key(get("/t/read"), key_id, &wrong)
                .peer_addr(addr)
                .to_request(),
        )
        .await;
        expect(res, 401, Some("AUTH_INVALID"), "wrong secret").await;
    }
    let res = test::call_service(
        &app,
        with_key(get("/t/read"), key_id, secret)
            .peer_addr(good)
            .to_request(),
    )
    .await;
    expect(res, 200, None, "the holder is not throttled").await;
    // Against one key id from one address: that pair is throttled, the address is not.
    let noisy: std::net::SocketAddr = "10.3.3.3:5000".parse().unwrap();
    for _ in 0..MAX_FAILURES_PER_KEY_FROM_IP {
        let res = test::call_service(
            &app,
            with_key(get("/t/read"), key_id, &wrong)
                .peer_addr(noisy)
                .to_request(),
        )
        .await;
        expect(res, 401, Some("AUTH_INVALID"), "wrong secret").await;
    }
    let res = test::call_service(
        &app,
        with_key(get("/t/read"), key_id, secret)
            .peer_addr(noisy)
            .to_request(),
    )
    .await;
    expect(
        res,
        429,
        Some("RATE_LIMITED"),
        "the key id from that address",
    )
    .await;
    let req = get("/t/read").peer_addr(noisy).insert_header(jwt.header());
    let res = test::call_service(&app, req.to_request()).await;
    expect(res, 200, None, "another credential from that address").await;
}
