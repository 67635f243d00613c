//! Per-request cost of L2 authentication, against the raw primitives measured in the same run.
//!
//! `cargo bench -p auth --bench auth_path`. Not a timed test: it prints figures and ratios.
//! Targets (issue 5): a cached key pair ≤ 2 × raw HMAC + 1 µs; a JWT seen before ≤ 2 µs; a JWT
//! seen for the first time ≤ 1.2 × one raw ES256 verification.

use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use auth::authenticator::Presented;
use auth::dev::SigningKey;
use auth::{Access, AuthSettings, Authenticator, Permission};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use store::{Store, StoreOptions};
use subtle::ConstantTimeEq;
use types::{Secret, Timestamp};

const APP_ID: &str = "bench-app";
const WALLET: &str = "0x4444444444444444444444444444444444444444";

/// Runs `f` `iters` times and returns the mean per call.
fn time<F: FnMut()>(iters: u32, mut f: F) -> Duration {
    for _ in 0..iters / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed() / iters
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn claims(i: u64) -> serde_json::Value {
    let now = Timestamp::now().millis() / 1000;
    json!({"iss": "privy.io", "aud": APP_ID, "sub": "did:privy:bench", "iat": now, "exp": now + 3600,
        "jti": i.to_string(),
        "linked_accounts": [{"type": "wallet", "address": WALLET, "chain_type": "ethereum",
            "wallet_client_type": "privy"}]})
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect(
        &format!("sqlite://{}/bench.db", dir.path().display()),
        &StoreOptions::default(),
    )
    .await
    .expect("store");
    let signing = SigningKey::generate().expect("key");
    let pepper = vec![9u8; 32];
    let settings = AuthSettings {
        app_id: Some(APP_ID.into()),
        leeway: Duration::from_secs(30),
        verification_key_pem: Some(signing.public_pem()),
        pepper: Some(Secret::new(pepper.clone())),
        ..AuthSettings::default()
    };
    let auth = Authenticator::new(settings, store).await.expect("auth");
    let ip: Option<IpAddr> = Some("127.0.0.1".parse().expect("ip"));
    let wallet = WALLET.parse().expect("wallet");
    let issued = auth
        .create_key(
            wallet,
            auth::keys::NewKey {
                name: None,
                permissions: auth::Permissions::DEFAULT,
                expires_at: None,
            },
        )
        .await
        .expect("create key");
    let key_id = issued.info.key_id.clone();
    let secret = issued.secret.expose().clone();

    // Raw HMAC-SHA256 under the pepper + constant-time compare.
    let stored: [u8; 32] = {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&pepper).expect("hmac");
        m.update(secret.as_bytes());
        m.finalize().into_bytes().into()
    };
    let raw_hmac = time(200_000, || {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(black_box(&pepper)).expect("hmac");
        m.update(black_box(secret.as_bytes()));
        let out: [u8; 32] = m.finalize().into_bytes().into();
        black_box(bool::from(out.ct_eq(&stored)));
    });

    // Raw ES256 verification of one token's signing input.
    let token = signing.sign(None, &claims(0)).expect("sign");
    let (input, sig_b64) = token.rsplit_once('.').expect("jwt");
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig_b64)
        .expect("sig");
    let pem = signing.public_pem();
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der)
        .expect("der");
    let point = der[26..].to_vec();
    let public = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        point,
    );
    let raw_es256 = time(5_000, || {
        public
            .verify(black_box(input.as_bytes()), black_box(&sig))
            .expect("verify");
    });

    // A cached key pair through the whole guard path (throttle check, cache, HMAC, tier check).
    let presented = Presented::KeyPair {
        key_id: &key_id,
        secret: &secret,
    };
    let access = Access::L2(Permission::Read);
    auth.authorize(presented, ip, access)
        .await
        .expect("warm key");
    let iters = 200_000u32;
    let start = Instant::now();
    for _ in 0..iters {
        black_box(
            auth.authorize(black_box(presented), ip, access)
                .await
                .expect("key"),
        );
    }
    let cached_key = start.elapsed() / iters;

    // A JWT seen before.
    let bearer = Presented::Jwt {
        bearer: &token,
        id_token: None,
    };
    auth.authorize(bearer, ip, access).await.expect("warm jwt");
    let start = Instant::now();
    for _ in 0..iters {
        black_box(
            auth.authorize(black_box(bearer), ip, access)
                .await
                .expect("jwt"),
        );
    }
    let repeated_jwt = start.elapsed() / iters;

    // JWTs seen for the first time (each token distinct).
    let n = 3_000u64;
    let tokens: Vec<String> = (1..=n)
        .map(|i| signing.sign(None, &claims(i)).expect("sign"))
        .collect();
    let start = Instant::now();
    for t in &tokens {
        let p = Presented::Jwt {
            bearer: t,
            id_token: None,
        };
        black_box(auth.authorize(p, ip, access).await.expect("first jwt"));
    }
    let first_jwt = start.elapsed() / n as u32;

    println!(
        "raw HMAC-SHA256 + constant-time compare: {:8.3} µs",
        us(raw_hmac)
    );
    println!(
        "raw ES256 verify (aws-lc-rs):            {:8.3} µs",
        us(raw_es256)
    );
    println!(
        "L2 auth, cached key pair:                {:8.3} µs",
        us(cached_key)
    );
    println!(
        "L2 auth, JWT seen before:                {:8.3} µs",
        us(repeated_jwt)
    );
    println!(
        "L2 auth, JWT seen first time:            {:8.3} µs",
        us(first_jwt)
    );
    let key_budget = 2.0 * us(raw_hmac) + 1.0;
    println!(
        "cached key:     {:.3} µs vs target 2 x HMAC + 1 µs = {:.3} µs ({:.2}x raw HMAC) {}",
        us(cached_key),
        key_budget,
        us(cached_key) / us(raw_hmac),
        verdict(us(cached_key) <= key_budget)
    );
    println!(
        "repeated JWT:   {:.3} µs vs target 2 µs {}",
        us(repeated_jwt),
        verdict(us(repeated_jwt) <= 2.0)
    );
    println!(
        "first-seen JWT: {:.3} µs = {:.2}x raw ES256 vs target 1.2x {}",
        us(first_jwt),
        us(first_jwt) / us(raw_es256),
        verdict(us(first_jwt) <= 1.2 * us(raw_es256))
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "OK"
    } else {
        "OVER TARGET"
    }
}
