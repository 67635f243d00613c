//! API key pairs: creation, permissions, PATCH, regeneration, revocation, expiry and the limit.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::{json, Value};
use types::Timestamp;

use crate::common::{claims, expect, fixture, get, service, with_key, Jwt, OTHER_WALLET, WALLET};

#[actix_web::test]
async fn key_pairs_follow_every_rule_of_the_lifecycle() {
    let f = fixture(None).await;
    let app = service!(f);
    let jwt = Jwt(f
        .key
        .sign(None, &claims("did:privy:alice", Some(WALLET), json!({})))
        .unwrap());
    let other = Jwt(f
        .key
        .sign(
            None,
            &claims("did:privy:eve", Some(OTHER_WALLET), json!({})),
        )
        .unwrap());
    let create = |body: Value, who: &Jwt| {
        test::TestRequest::post()
            .uri("/v1/auth/api-keys")
            .insert_header(who.header())
            .set_json(body)
            .to_request()
    };

    // Default permissions, formats, secret shown once.
    let res = test::call_service(&app, create(json!({"name": "bot"}), &jwt)).await;
    let read_key = expect(res, 201, None, "create").await;
    let (key_id, secret) = (
        read_key["key_id"].as_str().unwrap(),
        read_key["secret"].as_str().unwrap(),
    );
    assert!(
        key_id.starts_with("fs_key_") && key_id.len() == 39,
        "{key_id}"
    );
    assert!(secret.starts_with("fs_secret_") && secret.len() == 53);
    assert_eq!(read_key["permissions"], json!(["read"]));
    assert_eq!(read_key["wallet"], WALLET);

    let res = test::call_service(&app, with_key(get("/t/read"), key_id, secret).to_request()).await;
    let b = expect(res, 200, None, "valid key").await;
    assert_eq!(
        (b["wallet"].as_str(), b["credential"].as_str()),
        (Some(WALLET), Some("key"))
    );

    let unknown = format!("fs_key_{}", "A".repeat(32));
    let fake_secret = format!("fs_secret_{}", "A".repeat(43));
    let cases: Vec<(&str, test::TestRequest, u16, &str)> = vec![
        (
            "unknown key",
            with_key(get("/t/read"), &unknown, secret),
            401,
            "AUTH_INVALID",
        ),
        (
            "wrong secret",
            with_key(get("/t/read"), key_id, &fake_secret),
            401,
            "AUTH_INVALID",
        ),
        (
            "only the key header",
            get("/t/read").insert_header(("fs-api-key", key_id.to_owned())),
            401,
            "AUTH_INVALID",
        ),
        (
            "read-only key on a trade route",
            with_key(test::TestRequest::post().uri("/t/trade"), key_id, secret),
            403,
            "FORBIDDEN",
        ),
        (
            "key on an L1 route",
            with_key(get("/v1/auth/api-keys"), key_id, secret),
            403,
            "FORBIDDEN",
        ),
        (
            "key and JWT on L1: the key pair is used",
            with_key(get("/v1/auth/api-keys"), key_id, secret).insert_header(jwt.header()),
            403,
            "FORBIDDEN",
        ),
        (
            "another wallet's key: PATCH",
            test::TestRequest::patch()
                .uri(&format!("/v1/auth/api-keys/{key_id}"))
                .insert_header(other.header())
                .set_json(json!({"name": "x"})),
            404,
            "NOT_FOUND",
        ),
        (
            "another wallet's key: regenerate",
            test::TestRequest::post()
                .uri(&format!("/v1/auth/api-keys/{key_id}/regenerate"))
                .insert_header(other.header()),
            404,
            "NOT_FOUND",
        ),
        (
            "another wallet's key: DELETE",
            test::TestRequest::delete()
                .uri(&format!("/v1/auth/api-keys/{key_id}"))
                .insert_header(other.header()),
            404,
            "NOT_FOUND",
        ),
        (
            "bad permission",
            test::TestRequest::post()
                .uri("/v1/auth/api-keys")
                .insert_header(jwt.header())
                .set_json(json!({"permissions": ["admin"]})),
            400,
            "VALIDATION_ERROR",
        ),
        (
            "past expires_at",
            test::TestRequest::post()
                .uri("/v1/auth/api-keys")
                .insert_header(jwt.header())
                .set_json(json!({"expires_at": "2020-01-01T00:00:00Z"})),
            400,
            "VALIDATION_ERROR",
        ),
        (
            "name too long",
            test::TestRequest::post()
                .uri("/v1/auth/api-keys")
                .insert_header(jwt.header())
                .set_json(json!({"name": "n".repeat(65)})),
            400,
            "VALIDATION_ERROR",
        ),
    ];
    for (case, req, status, code) in cases {
        let res = test::call_service(&app, req.to_request()).await;
        expect(res, status, Some(code), case).await;
    }
    let res = test::call_service(
        &app,
        with_key(test::TestRequest::post().uri("/t/any"), key_id, secret).to_request(),
    )
    .await;
    expect(res, 200, None, "read key on an either-permission route").await;

    // A trade-only key cannot read.
    let res = test::call_service(&app, create(json!({"permissions": ["trade"]}), &jwt)).await;
    let trade_key = expect(res, 201, None, "create trade key").await;
    let (t_id, t_secret) = (
        trade_key["key_id"].as_str().unwrap(),
        trade_key["secret"].as_str().unwrap(),
    );
    let res = test::call_service(&app, with_key(get("/t/read"), t_id, t_secret).to_request()).await;
    expect(
        res,
        403,
        Some("FORBIDDEN"),
        "trade-only key on a read route",
    )
    .await;
    let res = test::call_service(
        &app,
        with_key(test::TestRequest::post().uri("/t/trade"), t_id, t_secret).to_request(),
    )
    .await;
    expect(res, 200, None, "trade key on a trade route").await;

    // A permission change applies from the very next request (the key is cached by now).
    let res = test::call_service(
        &app,
        test::TestRequest::patch()
            .uri(&format!("/v1/auth/api-keys/{key_id}"))
            .insert_header(jwt.header())
            .set_json(json!({"permissions": ["trade"], "name": "renamed"}))
            .to_request(),
    )
    .await;
    let patched = expect(res, 200, None, "PATCH").await;
    assert_eq!(patched["permissions"], json!(["trade"]));
    assert_eq!(patched["name"], "renamed");
    assert!(patched.get("secret").is_none());
    let res = test::call_service(&app, with_key(get("/t/read"), key_id, secret).to_request()).await;
    expect(
        res,
        403,
        Some("FORBIDDEN"),
        "read after the PATCH removed it",
    )
    .await;

    // Regenerate: the old secret fails at once, the new one works.
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/v1/auth/api-keys/{key_id}/regenerate"))
            .insert_header(jwt.header())
            .to_request(),
    )
    .await;
    let regenerated = expect(res, 200, None, "regenerate").await;
    let new_secret = regenerated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let res = test::call_service(
        &app,
        with_key(test::TestRequest::post().uri("/t/trade"), key_id, secret).to_request(),
    )
    .await;
    expect(
        res,
        401,
        Some("AUTH_INVALID"),
        "old secret after regenerate",
    )
    .await;
    let res = test::call_service(
        &app,
        with_key(
            test::TestRequest::post().uri("/t/trade"),
            key_id,
            new_secret,
        )
        .to_request(),
    )
    .await;
    expect(res, 200, None, "new secret").await;

    // Revoke: AUTH_REVOKED afterwards, listed with revoked_at, never a secret or hash.
    let res = test::call_service(
        &app,
        test::TestRequest::delete()
            .uri(&format!("/v1/auth/api-keys/{key_id}"))
            .insert_header(jwt.header())
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = test::call_service(
        &app,
        with_key(
            test::TestRequest::post().uri("/t/trade"),
            key_id,
            new_secret,
        )
        .to_request(),
    )
    .await;
    expect(res, 401, Some("AUTH_REVOKED"), "revoked").await;
    let res = test::call_service(
        &app,
        get("/v1/auth/api-keys")
            .insert_header(jwt.header())
            .to_request(),
    )
    .await;
    let list = expect(res, 200, None, "list").await;
    let text = list.to_string();
    assert!(
        !text.contains(new_secret) && !text.contains(t_secret) && !text.contains("secret"),
        "{text}"
    );
    let listed = list["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let revoked = listed.iter().find(|k| k["key_id"] == key_id).unwrap();
    assert!(revoked["revoked_at"].is_string());
    assert!(revoked["last_used_at"].is_string(), "last_used_at is kept");
    let res = test::call_service(
        &app,
        get("/v1/auth/api-keys")
            .insert_header(other.header())
            .to_request(),
    )
    .await;
    assert_eq!(
        expect(res, 200, None, "other list").await["data"],
        json!([])
    );

    // Expiry.
    let soon = Timestamp(Timestamp::now().millis() + 1500).to_string();
    let res = test::call_service(&app, create(json!({"expires_at": soon}), &jwt)).await;
    let expiring = expect(res, 201, None, "create expiring").await;
    let (e_id, e_secret) = (
        expiring["key_id"].as_str().unwrap(),
        expiring["secret"].as_str().unwrap(),
    );
    let res = test::call_service(&app, with_key(get("/t/read"), e_id, e_secret).to_request()).await;
    expect(res, 200, None, "before expiry").await;
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let res = test::call_service(&app, with_key(get("/t/read"), e_id, e_secret).to_request()).await;
    expect(res, 401, Some("AUTH_INVALID"), "expired key").await;
}

#[actix_web::test]
async fn a_wallet_holds_at_most_25_live_keys() {
    let f = fixture(None).await;
    let app = service!(f);
    let jwt = Jwt(f
        .key
        .sign(None, &claims("did:privy:alice", Some(WALLET), json!({})))
        .unwrap());
    let mut first = String::new();
    for i in 0..25 {
        let res = test::call_service(
            &app,
            test::TestRequest::post()
                .uri("/v1/auth/api-keys")
                .insert_header(jwt.header())
                .set_json(json!({}))
                .to_request(),
        )
        .await;
        let b = expect(res, 201, None, &format!("key {i}")).await;
        if i == 0 {
            first = b["key_id"].as_str().unwrap().to_owned();
        }
    }
    let make = || {
        test::TestRequest::post()
            .uri("/v1/auth/api-keys")
            .insert_header(jwt.header())
            .set_json(json!({}))
            .to_request()
    };
    let res = test::call_service(&app, make()).await;
    expect(res, 409, Some("KEY_LIMIT_REACHED"), "26th key").await;
    let res = test::call_service(
        &app,
        test::TestRequest::delete()
            .uri(&format!("/v1/auth/api-keys/{first}"))
            .insert_header(jwt.header())
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = test::call_service(&app, make()).await;
    expect(res, 201, None, "after a revocation").await;
}
