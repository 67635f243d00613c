//! JWKS key sources: chosen by `kid`, refetched on an unknown `kid` at most once a minute, with
//! one fetch in flight however many requests wait.

use std::sync::Arc;
use std::time::Duration;

use auth::dev::SigningKey;
use auth::jwt::{Jwks, JwtVerifier, KeyRing};
use serde_json::json;

fn write_jwks(path: &std::path::Path, keys: &[(&str, &SigningKey)]) {
    let set = json!({"keys": keys.iter().map(|(kid, k)| k.jwk(kid)).collect::<Vec<_>>()});
    std::fs::write(path, set.to_string()).unwrap();
}

fn token(key: &SigningKey, kid: &str) -> String {
    let now = types::Timestamp::now().millis() / 1000;
    key.sign(
        Some(kid),
        &json!({"iss": "privy.io", "aud": "app", "sub": "did:privy:x", "exp": now + 60}),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_kid_refetches_once_with_one_fetch_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    let (k1, k2) = (
        SigningKey::generate().unwrap(),
        SigningKey::generate().unwrap(),
    );
    write_jwks(&path, &[("k1", &k1)]);
    let jwks = Jwks::new(
        &format!("file://{}", path.display()),
        Duration::from_millis(300),
    )
    .unwrap();
    jwks.load().await;
    let verifier = Arc::new(JwtVerifier::new(
        "app",
        Duration::from_secs(30),
        KeyRing {
            jwks: Some(jwks),
            ..KeyRing::default()
        },
    ));
    let now = types::Timestamp::now().millis() / 1000;
    let fetches = |v: &JwtVerifier| v.jwks().unwrap().fetch_count();
    assert_eq!(fetches(&verifier), 1);
    assert!(verifier.verify(&token(&k1, "k1"), now).await.is_ok());
    // A kid signed by k1's key but named k2 must not verify against k1.
    assert!(verifier.verify(&token(&k1, "k2"), now).await.is_err());
    // Wait out the rate limit, rotate in k2, then 32 concurrent requests with the new kid.
    tokio::time::sleep(Duration::from_millis(350)).await;
    write_jwks(&path, &[("k1", &k1), ("k2", &k2)]);
    let before = fetches(&verifier);
    let t2 = token(&k2, "k2");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (v, t) = (verifier.clone(), t2.clone());
            tokio::spawn(async move { v.verify(&t, now).await.is_ok() })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(fetches(&verifier), before + 1, "one fetch for all waiters");
    // Unknown kids within the interval do not refetch.
    let k3 = SigningKey::generate().unwrap();
    for _ in 0..5 {
        assert!(verifier.verify(&token(&k3, "k3"), now).await.is_err());
    }
    assert_eq!(
        fetches(&verifier),
        before + 1,
        "at most one fetch per interval"
    );
}

#[tokio::test]
async fn a_single_pem_ignores_kid() {
    let key = SigningKey::generate().unwrap();
    let verifier = JwtVerifier::new(
        "app",
        Duration::from_secs(30),
        KeyRing {
            pem: Some(KeyRing::pem_key(&key.public_pem()).unwrap()),
            ..KeyRing::default()
        },
    );
    let now = types::Timestamp::now().millis() / 1000;
    assert!(verifier.verify(&token(&key, "anything"), now).await.is_ok());
}

#[tokio::test]
async fn a_jwks_url_is_fetched_over_http_and_refetched_for_a_new_kid() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    let (k1, k2) = (
        SigningKey::generate().unwrap(),
        SigningKey::generate().unwrap(),
    );
    let served = Arc::new(Mutex::new(json!({"keys": [k1.jwk("k1")]}).to_string()));
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let server = tokio::spawn(serve_json(listener, served.clone(), hits.clone()));

    let jwks = Jwks::new(&url, Duration::from_millis(200)).unwrap();
    jwks.load().await;
    let verifier = JwtVerifier::new(
        "app",
        Duration::from_secs(30),
        KeyRing {
            jwks: Some(jwks),
            ..KeyRing::default()
        },
    );
    let now = types::Timestamp::now().millis() / 1000;
    assert!(verifier.verify(&token(&k1, "k1"), now).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    *served.lock().unwrap() = json!({"keys": [k1.jwk("k1"), k2.jwk("k2")]}).to_string();
    // Within the interval: the new kid is not fetched yet.
    assert!(verifier.verify(&token(&k2, "k2"), now).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(verifier.verify(&token(&k2, "k2"), now).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // k2's key under k1's kid is refused: the key is chosen by kid.
    assert!(verifier.verify(&token(&k2, "k1"), now).await.is_err());
    server.abort();
}

/// A minimal HTTP server: answers every request with the current `body` as JSON and closes
/// the connection, counting the requests in `hits`.
async fn serve_json(
    listener: tokio::net::TcpListener,
    body: Arc<std::sync::Mutex<String>>,
    hits: Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let text = body.lock().unwrap().clone();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
            text.len()
        );
        let _ = conn.write_all(response.as_bytes()).await;
        let _ = conn.shutdown().await;
    }
}
