//! WebSocket tokens: issued for either permission, single use, and degraded without Redis.

use std::time::Duration;

use actix_web::{test, web};
use auth::{AuthSettings, Authenticator};
use serde_json::json;
use store::{Store, StoreOptions};
use types::Secret;

use crate::common::{claims, expect, fixture, get, service, with_key, Jwt, APP_ID, WALLET};

#[actix_web::test]
async fn with_redis_down_ws_tokens_are_degraded_and_key_pairs_still_work() {
    let mut f = fixture(None).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(
        &format!("sqlite://{}/gw.db", dir.path().display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    let settings = AuthSettings {
        app_id: Some(APP_ID.into()),
        leeway: Duration::from_secs(30),
        verification_key_pem: Some(f.key.public_pem()),
        pepper: Some(Secret::new(vec![7u8; 32])),
        // Nothing listens on port 1.
        redis_url: Some(Secret::new("redis://127.0.0.1:1".into())),
        ..AuthSettings::default()
    };
    f.auth = web::Data::new(Authenticator::new(settings, store).await.unwrap());
    let app = service!(f);
    let jwt = Jwt(f
        .key
        .sign(None, &claims("did:privy:alice", Some(WALLET), json!({})))
        .unwrap());
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/v1/auth/api-keys")
            .insert_header(jwt.header())
            .set_json(json!({}))
            .to_request(),
    )
    .await;
    let key = expect(res, 201, None, "create without Redis").await;
    let (id, secret) = (
        key["key_id"].as_str().unwrap(),
        key["secret"].as_str().unwrap(),
    );
    for _ in 0..2 {
        let res = test::call_service(&app, with_key(get("/t/read"), id, secret).to_request()).await;
        expect(res, 200, None, "key pair with the cache off").await;
    }
    let res = test::call_service(
        &app,
        with_key(
            test::TestRequest::post().uri("/v1/auth/ws-token"),
            id,
            secret,
        )
        .to_request(),
    )
    .await;
    expect(res, 503, Some("SERVICE_DEGRADED"), "ws-token needs Redis").await;
    // A ws token is no REST credential.
    let res = test::call_service(
        &app,
        get("/t/read")
            .insert_header(("authorization", format!("Bearer {}", "A".repeat(43))))
            .to_request(),
    )
    .await;
    expect(res, 401, Some("AUTH_INVALID"), "a ws token on a REST route").await;
    drop(dir);
}

#[actix_web::test]
async fn ws_tokens_are_issued_for_either_permission_without_redis() {
    let f = fixture(None).await;
    let app = service!(f);
    let jwt = Jwt(f
        .key
        .sign(None, &claims("did:privy:alice", Some(WALLET), json!({})))
        .unwrap());
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/v1/auth/ws-token")
            .insert_header(jwt.header())
            .to_request(),
    )
    .await;
    let b = expect(res, 201, None, "ws-token with a JWT").await;
    assert_eq!(b["expires_in"], 60);
    let token = b["token"].as_str().unwrap();
    assert_eq!(token.len(), 43);
    assert_eq!(
        f.auth.ws_tokens().consume(token).await.unwrap(),
        Some(WALLET.parse().unwrap())
    );
    assert_eq!(
        f.auth.ws_tokens().consume(token).await.unwrap(),
        None,
        "single use"
    );
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/v1/auth/ws-token")
            .to_request(),
    )
    .await;
    expect(
        res,
        401,
        Some("AUTH_MISSING"),
        "ws-token without credentials",
    )
    .await;
}
