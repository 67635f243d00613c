//! Access tokens: every verification rule of a JWT, and what a valid one may reach.

use actix_web::http::StatusCode;
use actix_web::test;
use auth::dev::SigningKey;
use hmac::Mac;
use serde_json::{json, Value};

use crate::common::{claims, expect, fixture, forge, get, now, service, WALLET};

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
