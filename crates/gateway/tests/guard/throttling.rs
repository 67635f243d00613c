//! Throttling of repeated failures, per address and per key id.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::json;

use crate::common::{claims, expect, fixture, get, service, with_key, Jwt, WALLET};

#[actix_web::test]
async fn repeated_failures_are_throttled_but_a_good_client_never_is() {
    let f = fixture(None).await;
    let app = service!(f);
    let jwt = Jwt(f
        .key
        .sign(None, &claims("did:privy:alice", Some(WALLET), json!({})))
        .unwrap());
    let attacker: std::net::SocketAddr = "10.9.9.9:5000".parse().unwrap();
    let good: std::net::SocketAddr = "10.1.1.1:5000".parse().unwrap();
    for i in 0..20 {
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
        "21st attempt, even with a good token",
    )
    .await;
    // 100 good requests from another address (more than 20 a second): never throttled.
    for _ in 0..100 {
        let req = get("/t/read").peer_addr(good).insert_header(jwt.header());
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Against one key id, from many addresses.
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
    for i in 0..20u8 {
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
        with_key(get("/t/read"), key_id, key["secret"].as_str().unwrap())
            .peer_addr(good)
            .to_request(),
    )
    .await;
    expect(res, 429, Some("RATE_LIMITED"), "the key id is throttled").await;
}
