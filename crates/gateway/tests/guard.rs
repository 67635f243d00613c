//! The tier guard and the key routes in-process: each case asserts the status and the code.

use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{test, web, App, HttpResponse};
use auth::dev::SigningKey;
use auth::{Access, AuthSettings, Authenticator, Credential, Permission};
use base64::Engine;
use gateway::extractors::auth::{require, Caller};
use hmac::Mac;
use serde_json::{json, Value};
use store::{Store, StoreOptions};
use types::{Secret, Timestamp};

const APP_ID: &str = "test-app";
const WALLET: &str = "0x1111111111111111111111111111111111111111";
const OTHER_WALLET: &str = "0x2222222222222222222222222222222222222222";

fn now() -> i64 {
    Timestamp::now().millis() / 1000
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims of a valid token for `sub` holding `wallet`; `changes` override (null removes).
fn claims(sub: &str, wallet: Option<&str>, changes: Value) -> Value {
    let mut c =
        json!({"iss": "privy.io", "aud": APP_ID, "sub": sub, "iat": now(), "exp": now() + 600});
    if let Some(w) = wallet {
        c["linked_accounts"] = json!([{"type": "wallet", "address": w, "chain_type": "ethereum",
            "wallet_client_type": "privy"}]);
    }
    if let Value::Object(map) = changes {
        for (k, v) in map {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(&k);
            } else {
                c[k] = v;
            }
        }
    }
    c
}

/// A token with any header and signature, for the algorithm-confusion cases.
fn forge(header: Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&sig))
}

async fn echo(Caller(p): Caller) -> HttpResponse {
    let kind = match p.credential {
        Credential::Jwt { .. } => "jwt",
        Credential::ApiKey { .. } => "key",
    };
    HttpResponse::Ok().json(json!({"wallet": p.wallet, "credential": kind}))
}

struct Fixture {
    key: SigningKey,
    auth: web::Data<Authenticator>,
    _dir: tempfile::TempDir,
}

async fn fixture(privy_api_base: Option<String>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(
        &format!("sqlite://{}/gw.db", dir.path().display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    let key = SigningKey::generate().unwrap();
    let settings = AuthSettings {
        app_id: Some(APP_ID.into()),
        leeway: Duration::from_secs(30),
        verification_key_pem: Some(key.public_pem()),
        app_secret: privy_api_base
            .as_ref()
            .map(|_| Secret::new("app-secret".into())),
        api_base: privy_api_base.unwrap_or_else(|| "http://127.0.0.1:9".into()),
        pepper: Some(Secret::new(vec![7u8; 32])),
        ..AuthSettings::default()
    };
    let auth = web::Data::new(Authenticator::new(settings, store).await.unwrap());
    Fixture {
        key,
        auth,
        _dir: dir,
    }
}

macro_rules! service {
    ($f:expr) => {
        test::init_service(
            App::new()
                .app_data($f.auth.clone())
                .configure(gateway::routes::auth::configure)
                .route(
                    "/t/read",
                    web::get()
                        .to(echo)
                        .wrap(require(Access::L2(Permission::Read))),
                )
                .route(
                    "/t/trade",
                    web::post()
                        .to(echo)
                        .wrap(require(Access::L2(Permission::Trade))),
                )
                .route("/t/any", web::post().to(echo).wrap(require(Access::L2Any)))
                .route("/t/l1", web::get().to(echo).wrap(require(Access::L1))),
        )
        .await
    };
}

async fn body(res: ServiceResponse) -> Value {
    let bytes = test::read_body(res).await;
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// Asserts status and code of an error, or status alone for a success.
async fn expect(res: ServiceResponse, status: u16, code: Option<&str>, case: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "{case}");
    let retry_after = res.headers().get("retry-after").cloned();
    let b = body(res).await;
    if let Some(code) = code {
        assert_eq!(b["code"], code, "{case}: {b}");
        if code == "RATE_LIMITED" {
            assert!(retry_after.is_some(), "{case}: Retry-After");
        }
    }
    b
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

#[actix_web::test]
async fn every_jwt_rule_answers_with_its_status_and_code() {
    let f = fixture(None).await;
    let app = service!(f);
    let sub = "did:privy:alice";
    let sign = |c: &Value| f.key.sign(None, c).unwrap();
    let valid = sign(&claims(sub, Some(WALLET), json!({})));
    let other_key = SigningKey::generate().unwrap();
    let pem = f.key.public_pem();
    let hs256 = forge(
        json!({"alg": "HS256", "typ": "JWT"}),
        &claims(sub, Some(WALLET), json!({})),
        |m| {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(pem.as_bytes()).unwrap();
            mac.update(m);
            mac.finalize().into_bytes().to_vec()
        },
    );
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let rs256 = forge(
        json!({"alg": "RS256", "typ": "JWT"}),
        &claims(sub, Some(WALLET), json!({})),
        |m| {
            let mut sig = vec![0u8; rsa.public_modulus_len()];
            rsa.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                m,
                &mut sig,
            )
            .unwrap();
            sig
        },
    );
    let alg_none = forge(
        json!({"alg": "none", "typ": "JWT"}),
        &claims(sub, Some(WALLET), json!({})),
        |_| vec![],
    );
    let mut tampered = valid.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });

    let cases: Vec<(&str, Option<String>, u16, &str)> = vec![
        ("no credential", None, 401, "AUTH_MISSING"),
        ("malformed", Some("not.a.jwt".into()), 401, "AUTH_INVALID"),
        ("bad signature", Some(tampered), 401, "AUTH_INVALID"),
        (
            "signed by another key",
            Some(
                other_key
                    .sign(None, &claims(sub, Some(WALLET), json!({})))
                    .unwrap(),
            ),
            401,
            "AUTH_INVALID",
        ),
        ("alg none", Some(alg_none), 401, "AUTH_INVALID"),
        (
            "HS256 keyed with the public PEM",
            Some(hs256),
            401,
            "AUTH_INVALID",
        ),
        ("RS256", Some(rs256), 401, "AUTH_INVALID"),
        (
            "expired",
            Some(sign(&claims(
                sub,
                Some(WALLET),
                json!({"exp": now() - 120}),
            ))),
            401,
            "AUTH_INVALID",
        ),
        (
            "not yet valid",
            Some(sign(&claims(
                sub,
                Some(WALLET),
                json!({"nbf": now() + 300}),
            ))),
            401,
            "AUTH_INVALID",
        ),
        (
            "issued in the future",
            Some(sign(&claims(
                sub,
                Some(WALLET),
                json!({"iat": now() + 300}),
            ))),
            401,
            "AUTH_INVALID",
        ),
        (
            "wrong iss",
            Some(sign(&claims(sub, Some(WALLET), json!({"iss": "evil.io"})))),
            401,
            "AUTH_INVALID",
        ),
        (
            "wrong aud",
            Some(sign(&claims(
                sub,
                Some(WALLET),
                json!({"aud": "other-app"}),
            ))),
            401,
            "AUTH_INVALID",
        ),
        (
            "no exp",
            Some(sign(&claims(sub, Some(WALLET), json!({"exp": null})))),
            401,
            "AUTH_INVALID",
        ),
        (
            "no linked wallet",
            Some(sign(&claims("did:privy:nowallet", None, json!({})))),
            403,
            "FORBIDDEN",
        ),
        ("valid", Some(valid.clone()), 200, ""),
        ("valid again (cached)", Some(valid.clone()), 200, ""),
    ];
    for (case, token, status, code) in cases {
        let mut req = get("/t/read");
        if let Some(t) = &token {
            req = req.insert_header(("authorization", format!("Bearer {t}")));
        }
        let res = test::call_service(&app, req.to_request()).await;
        let code = (!code.is_empty()).then_some(code);
        let b = expect(res, status, code, case).await;
        if status == 200 {
            assert_eq!(b["wallet"], WALLET, "{case}");
            assert_eq!(b["credential"], "jwt", "{case}");
        }
    }
    // A JWT has every permission and passes L1.
    for (path, method) in [("/t/trade", "POST"), ("/t/l1", "GET"), ("/t/any", "POST")] {
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(path)
            .insert_header(("authorization", format!("Bearer {valid}")));
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
}

#[actix_web::test]
async fn identity_tokens_name_the_wallet_and_must_belong_to_the_same_user() {
    let f = fixture(None).await;
    let app = service!(f);
    let sub = "did:privy:bob";
    let access = f.key.sign(None, &claims(sub, None, json!({}))).unwrap();
    let id_token = f
        .key
        .sign(None, &claims(sub, Some(OTHER_WALLET), json!({})))
        .unwrap();
    let foreign = f
        .key
        .sign(None, &claims("did:privy:mallory", Some(WALLET), json!({})))
        .unwrap();
    let expired_id = f
        .key
        .sign(
            None,
            &claims(sub, Some(WALLET), json!({"exp": now() - 120})),
        )
        .unwrap();

    let req = |id: Option<(&str, &str)>| {
        let mut r = get("/t/read").insert_header(("authorization", format!("Bearer {access}")));
        if let Some(h) = id {
            r = r.insert_header(h);
        }
        r.to_request()
    };
    let res = test::call_service(&app, req(Some(("privy-id-token", foreign.as_str())))).await;
    expect(
        res,
        401,
        Some("AUTH_INVALID"),
        "identity token of another sub",
    )
    .await;
    let res = test::call_service(&app, req(Some(("privy-id-token", expired_id.as_str())))).await;
    expect(res, 401, Some("AUTH_INVALID"), "expired identity token").await;
    let res = test::call_service(&app, req(None)).await;
    expect(
        res,
        403,
        Some("FORBIDDEN"),
        "no identity token, no binding yet",
    )
    .await;
    let cookie = format!("other=1; privy-id-token={id_token}");
    let res = test::call_service(&app, req(Some(("cookie", cookie.as_str())))).await;
    let b = expect(res, 200, None, "identity token in the cookie").await;
    assert_eq!(b["wallet"], OTHER_WALLET);
    // The binding is stored: the access token alone now resolves the wallet.
    let res = test::call_service(&app, req(None)).await;
    let b = expect(res, 200, None, "stored binding").await;
    assert_eq!(b["wallet"], OTHER_WALLET);
}

#[actix_web::test]
async fn privy_server_api_resolves_a_wallet_when_nothing_else_does() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let counter = calls.clone();
    let server = actix_web::HttpServer::new(move || {
        let counter = counter.clone();
        App::new().route(
            "/api/v1/users/{sub}",
            web::get().to(move |req: actix_web::HttpRequest, sub: web::Path<String>| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let authorized = req.headers().get("authorization").is_some()
                        && req.headers().get("privy-app-id").and_then(|v| v.to_str().ok()) == Some(APP_ID);
                    if !authorized {
                        return HttpResponse::Unauthorized().finish();
                    }
                    if sub.as_str() != "did:privy:carol" {
                        return HttpResponse::NotFound().finish();
                    }
                    HttpResponse::Ok().json(json!({"id": "did:privy:carol", "linked_accounts": [
                        {"type": "wallet", "address": WALLET, "chain_type": "ethereum", "wallet_client_type": "privy"}]}))
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let f = fixture(Some(base)).await;
    let app = service!(f);
    for round in 0..2 {
        let token = f
            .key
            .sign(
                None,
                &claims("did:privy:carol", None, json!({"iat": now() - round})),
            )
            .unwrap();
        let res = test::call_service(
            &app,
            get("/t/read")
                .insert_header(("authorization", format!("Bearer {token}")))
                .to_request(),
        )
        .await;
        let b = expect(res, 200, None, "wallet from Privy's API").await;
        assert_eq!(b["wallet"], WALLET);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the answer is kept as a binding"
    );
    let token = f
        .key
        .sign(None, &claims("did:privy:dave", None, json!({})))
        .unwrap();
    let res = test::call_service(
        &app,
        get("/t/read")
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request(),
    )
    .await;
    expect(res, 403, Some("FORBIDDEN"), "unknown to Privy").await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let token = f
        .key
        .sign(
            None,
            &claims("did:privy:dave", None, json!({"iat": now() - 1})),
        )
        .unwrap();
    let res = test::call_service(
        &app,
        get("/t/read")
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request(),
    )
    .await;
    expect(res, 403, Some("FORBIDDEN"), "still no wallet").await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "a user without a wallet is not asked about again at once"
    );
    handle.stop(false).await;
}

struct Jwt(String);

impl Jwt {
    fn header(&self) -> (&'static str, String) {
        ("authorization", format!("Bearer {}", self.0))
    }
}

fn with_key(req: test::TestRequest, key_id: &str, secret: &str) -> test::TestRequest {
    req.insert_header(("fs-api-key", key_id.to_owned()))
        .insert_header(("fs-api-secret", secret.to_owned()))
}

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
