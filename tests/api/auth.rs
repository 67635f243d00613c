//! Authentication end to end: the dev-mode loop, secrets kept out of the logs, and immediate
//! invalidation across two gateways sharing one PostgreSQL and one Redis.

use serde_json::{json, Value};

use crate::auth_harness::{run_command, Gateway};

const WALLET: &str = "0x3333333333333333333333333333333333333333";
const PEPPER: &str = "pepper-for-tests-0123456789abcdef-0123";

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn keyed(req: reqwest::RequestBuilder, key: &Value) -> reqwest::RequestBuilder {
    req.header("fs-api-key", key["key_id"].as_str().unwrap())
        .header("fs-api-secret", key["secret"].as_str().unwrap())
}

#[tokio::test]
async fn dev_token_loop_works_and_no_secret_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let dev = [("FS_DEV_MODE", "true")];
    // The gateway creates the dev key at start; dev-token only reads it.
    let gw = Gateway::start(dir.path(), &dev);
    let out = run_command(dir.path(), &dev, &["dev-token", "--wallet", WALLET]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{token}");
    // Outside dev mode, dev-token refuses.
    let out = run_command(dir.path(), &[], &["dev-token", "--wallet", WALLET]);
    assert_eq!(out.status.code(), Some(2));

    let http = reqwest::Client::new();
    let bearer = format!("Bearer {token}");
    let (status, key) = send(
        http.post(gw.url("/v1/auth/api-keys"))
            .header("authorization", &bearer)
            .json(&json!({"permissions": ["read", "trade"], "name": "bot"})),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["wallet"], WALLET);
    let (status, body) = send(keyed(http.get(gw.url("/v1/auth/api-keys")), &key)).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")));
    assert!(body["correlation_id"].is_string(), "{body}");
    let (status, body) = send(http.get(gw.url("/v1/auth/api-keys"))).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("AUTH_MISSING")));
    let (status, body) = send(
        http.post(gw.url(&format!(
            "/v1/auth/api-keys/{}/regenerate",
            key["key_id"].as_str().unwrap()
        )))
        .header("authorization", &bearer),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let secrets = [
        ("JWT", token.clone()),
        (
            "JWT signature",
            token.rsplit('.').next().unwrap().to_owned(),
        ),
        ("secret", key["secret"].as_str().unwrap().to_owned()),
        (
            "regenerated secret",
            body["secret"].as_str().unwrap().to_owned(),
        ),
    ];
    let (status, ws) = send(keyed(
        http.post(gw.url("/v1/auth/ws-token")),
        &json!({
        "key_id": key["key_id"], "secret": body["secret"]}),
    ))
    .await;
    assert_eq!(status, 201, "{ws}");
    assert_eq!(ws["expires_in"], 60);
    let ws_token = ws["token"].as_str().unwrap().to_owned();
    let (status, list) = send(
        http.get(gw.url("/v1/auth/api-keys"))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));

    let logs = gw.logs();
    drop(gw);
    assert!(
        logs.contains("API key secret regenerated"),
        "the log was captured: {logs}"
    );
    for (what, secret) in secrets.iter().chain([&("ws token", ws_token)]) {
        assert!(secret.len() > 20);
        assert!(
            !logs.contains(secret.as_str()),
            "the {what} appears in the log:\n{logs}"
        );
    }
    assert!(!logs.contains("fs_secret_"), "{logs}");

    // The same data directory without dev mode: the dev key is not trusted.
    let gw = Gateway::start(dir.path(), &[("FS_API_KEY_PEPPER", PEPPER)]);
    let (status, body) = send(
        http.get(gw.url("/v1/auth/api-keys"))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("AUTH_INVALID")),
        "{body}"
    );
}

/// `gateway dev-token` run from another directory signs with the running gateway's key when
/// `--data-dir` names that gateway's data directory.
#[tokio::test]
async fn dev_token_from_another_directory_with_data_dir_is_accepted_by_the_gateway() {
    let gateway_dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let dev = [("FS_DEV_MODE", "true")];
    let gw = Gateway::start(gateway_dir.path(), &dev);
    let data_dir = gateway_dir.path().join("data");
    let out = run_command(
        elsewhere.path(),
        &dev,
        &[
            "dev-token",
            "--wallet",
            WALLET,
            "--data-dir",
            data_dir.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (status, key) = send(
        reqwest::Client::new()
            .post(gw.url("/v1/auth/api-keys"))
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"permissions": ["read"], "name": "elsewhere"})),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["wallet"], WALLET);
    assert!(!elsewhere.path().join("data").exists());
}

/// Without a dev key where it looks, dev-token fails with exit code 2 naming the absolute path
/// it looked at, and creates no key there (one no gateway would trust).
#[tokio::test]
async fn dev_token_without_a_dev_key_names_the_absolute_path_it_looked_at() {
    let elsewhere = tempfile::tempdir().unwrap();
    let dev = [("FS_DEV_MODE", "true")];
    let out = run_command(elsewhere.path(), &dev, &["dev-token", "--wallet", WALLET]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let looked_at = elsewhere
        .path()
        .canonicalize()
        .unwrap()
        .join("data/dev-jwt-key.pem");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "error: no dev signing key at {}: ",
            looked_at.display()
        )),
        "{err}"
    );
    assert!(err.contains("--data-dir"), "{err}");
    assert!(!elsewhere.path().join("data").exists());

    let missing = elsewhere.path().join("not-a-data-dir");
    let out = run_command(
        elsewhere.path(),
        &dev,
        &[
            "dev-token",
            "--wallet",
            WALLET,
            "--data-dir",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}", missing.join("dev-jwt-key.pem").display())),
        "{err}"
    );
    assert!(!missing.exists());
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis"]
async fn regenerate_and_revoke_on_one_gateway_take_effect_on_another_at_once() {
    let redis = test_support::require_redis();
    let schema = test_support::PgSchema::create().await;
    let signing = auth::dev::SigningKey::generate().unwrap();
    let pem = signing.public_pem();
    let env = [
        ("DATABASE_URL", schema.url.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("FS_PRIVY_APP_ID", "two-app"),
        ("FS_PRIVY_VERIFICATION_KEY", pem.as_str()),
        ("FS_API_KEY_PEPPER", PEPPER),
    ];
    // A wallet of its own in every run: the ws tokens minted here live on in Redis for 60 s and
    // count against the wallet's cap of 20.
    let wallet = format!("0x{:040x}", rand::random::<u128>());
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Gateway::start(dir_a.path(), &env);
    let b = Gateway::start(dir_b.path(), &env);
    b.wait_for_log("subscribed to API key changes").await;
    a.wait_for_log("subscribed to API key changes").await;

    let now = types::Timestamp::now().millis() / 1000;
    let jwt = signing
        .sign(
            None,
            &json!({"iss": "privy.io", "aud": "two-app", "sub": "did:privy:two", "exp": now + 600,
                "linked_accounts": [{"type": "wallet", "address": wallet, "chain_type": "ethereum"}]}),
        )
        .unwrap();
    let bearer = format!("Bearer {jwt}");
    let http = reqwest::Client::new();
    let (status, mut key) = send(
        http.post(a.url("/v1/auth/api-keys"))
            .header("authorization", &bearer)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    let key_id = key["key_id"].as_str().unwrap().to_owned();
    let ws_token = |on: &Gateway, key: &Value| keyed(http.post(on.url("/v1/auth/ws-token")), key);
    for round in 0..5 {
        // B verifies the current secret and caches it.
        for _ in 0..3 {
            let (status, body) = send(ws_token(&b, &key)).await;
            assert_eq!(status, 201, "round {round}: {body}");
        }
        let (status, fresh) = send(
            http.post(a.url(&format!("/v1/auth/api-keys/{key_id}/regenerate")))
                .header("authorization", &bearer),
        )
        .await;
        assert_eq!(status, 200, "round {round}: {fresh}");
        let (status, body) = send(ws_token(&b, &key)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("AUTH_INVALID")),
            "round {round}: the old secret on B right after regenerate on A"
        );
        key = fresh;
    }
    let (status, body) = send(ws_token(&b, &key)).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = send(
        http.delete(a.url(&format!("/v1/auth/api-keys/{key_id}")))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = send(ws_token(&b, &key)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("AUTH_REVOKED")),
        "revoked on A, refused on B at once"
    );
}
