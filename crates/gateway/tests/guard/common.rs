//! What every guard test shares: the fixture (an authenticator over a fresh SQLite store), token
//! claims and forging, the request helpers and the `service!` macro (the app under test).

use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::{test, web, HttpResponse};
use auth::dev::SigningKey;
use auth::{AuthSettings, Authenticator, Credential};
use base64::Engine;
use gateway::extractors::auth::Caller;
use serde_json::{json, Value};
use store::{Store, StoreOptions};
use types::{Secret, Timestamp};

pub(crate) const APP_ID: &str = "test-app";
pub(crate) const WALLET: &str = "0x1111111111111111111111111111111111111111";
pub(crate) const OTHER_WALLET: &str = "0x2222222222222222222222222222222222222222";

pub(crate) fn now() -> i64 {
    Timestamp::now().millis() / 1000
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims of a valid token for `sub` holding `wallet`; `changes` override (null removes).
pub(crate) fn claims(sub: &str, wallet: Option<&str>, changes: Value) -> Value {
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
pub(crate) fn forge(header: Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&sig))
}

pub(crate) async fn echo(Caller(p): Caller) -> HttpResponse {
    let kind = match p.credential {
        Credential::Jwt { .. } => "jwt",
        Credential::ApiKey { .. } => "key",
    };
    HttpResponse::Ok().json(json!({"wallet": p.wallet, "credential": kind}))
}

pub(crate) struct Fixture {
    pub(crate) key: SigningKey,
    pub(crate) auth: web::Data<Authenticator>,
    _dir: tempfile::TempDir,
}

pub(crate) async fn fixture(privy_api_base: Option<String>) -> Fixture {
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

/// The app under test: the key routes and four echo routes, one per access tier.
macro_rules! service {
    ($f:expr) => {
        ::actix_web::test::init_service(
            ::actix_web::App::new()
                .app_data($f.auth.clone())
                .configure(::gateway::routes::auth::configure)
                .route(
                    "/t/read",
                    ::actix_web::web::get().to($crate::common::echo).wrap(
                        ::gateway::extractors::auth::require(::auth::Access::L2(
                            ::auth::Permission::Read,
                        )),
                    ),
                )
                .route(
                    "/t/trade",
                    ::actix_web::web::post().to($crate::common::echo).wrap(
                        ::gateway::extractors::auth::require(::auth::Access::L2(
                            ::auth::Permission::Trade,
                        )),
                    ),
                )
                .route(
                    "/t/any",
                    ::actix_web::web::post()
                        .to($crate::common::echo)
                        .wrap(::gateway::extractors::auth::require(::auth::Access::L2Any)),
                )
                .route(
                    "/t/l1",
                    ::actix_web::web::get()
                        .to($crate::common::echo)
                        .wrap(::gateway::extractors::auth::require(::auth::Access::L1)),
                ),
        )
        .await
    };
}
pub(crate) use service;

async fn body(res: ServiceResponse) -> Value {
    let bytes = test::read_body(res).await;
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// Asserts status and code of an error, or status alone for a success.
pub(crate) async fn expect(
    res: ServiceResponse,
    status: u16,
    code: Option<&str>,
    case: &str,
) -> Value {
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

pub(crate) fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

pub(crate) struct Jwt(pub(crate) String);

impl Jwt {
    pub(crate) fn header(&self) -> (&'static str, String) {
        ("authorization", format!("Bearer {}", self.0))
    }
}

pub(crate) fn with_key(req: test::TestRequest, key_id: &str, secret: &str) -> test::TestRequest {
    req.insert_header(("fs-api-key", key_id.to_owned()))
        .insert_header(("fs-api-secret", secret.to_owned()))
}
