//! Privy JWT verification (docs/api.md 2.2): ES256 only, the key picked by `kid` from a JWKS
//! (file or URL, refetched on an unknown `kid` at most once a minute, one fetch in flight) or the
//! one configured PEM key; `iss`, `aud`, `exp`, `nbf`, `iat` with a leeway.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::error::AuthError;

pub const PRIVY_ISSUER: &str = "privy.io";
/// An unknown `kid` refetches the JWKS at most this often.
pub const JWKS_MIN_REFETCH: Duration = Duration::from_secs(60);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The claims the gateway reads; `iss`, `aud`, `exp` and `nbf` are checked by the validation.
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    /// Present on identity tokens: a JSON array, or a string holding one.
    #[serde(default)]
    pub linked_accounts: Option<Value>,
}

/// The client for Privy's JWKS and server API: rustls on aws-lc-rs (the provider jsonwebtoken
/// uses, so the gateway links one crypto library) with the Mozilla roots compiled in.
pub(crate) fn http_client() -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

enum JwksSource {
    File(PathBuf),
    Http(String, reqwest::Client),
}

/// A JWKS whose keys are looked up by `kid`.
pub struct Jwks {
    source: JwksSource,
    keys: RwLock<Arc<HashMap<String, Arc<DecodingKey>>>>,
    /// When the last fetch started; holding the lock is being the one fetch in flight.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    min_refetch: Duration,
    fetches: AtomicU64,
}

impl Jwks {
    /// `file://path` or `http(s)://...`; the first fetch happens in [`Jwks::load`].
    pub fn new(url: &str, min_refetch: Duration) -> Result<Jwks, String> {
        let source = if let Some(path) = url.strip_prefix("file://") {
            JwksSource::File(PathBuf::from(path))
        } else if url.starts_with("https://") || url.starts_with("http://") {
            JwksSource::Http(url.to_owned(), http_client()?)
        } else {
            return Err(format!("{url}: must be file://, https:// or http://"));
        };
        Ok(Jwks {
            source,
            keys: RwLock::new(Arc::new(HashMap::new())),
            last_fetch: tokio::sync::Mutex::new(None),
            min_refetch,
            fetches: AtomicU64::new(0),
        })
    }

    /// The first fetch, at start-up. A failure is logged; the next unknown `kid` retries.
    pub async fn load(&self) {
        let mut last = self.last_fetch.lock().await;
        match self.fetch().await {
            Ok(()) => *last = Some(Instant::now()),
            Err(e) => tracing::warn!(error = %e, "JWKS: first fetch failed; will retry on demand"),
        }
    }

    /// How many fetches were made (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn lookup(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
        keys.get(kid).cloned()
    }

    /// The key for `kid`, refetching once when it is unknown and the last fetch is over a
    /// minute old. Concurrent callers wait for the one fetch in flight instead of starting theirs.
    pub async fn key(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        if let Some(k) = self.lookup(kid) {
            return Some(k);
        }
        let mut last = self.last_fetch.lock().await;
        if let Some(k) = self.lookup(kid) {
            return Some(k);
        }
        if last.is_some_and(|t| t.elapsed() < self.min_refetch) {
            return None;
        }
        *last = Some(Instant::now());
        if let Err(e) = self.fetch().await {
            tracing::warn!(error = %e, "JWKS refetch failed");
        }
        drop(last);
        self.lookup(kid)
    }

    async fn fetch(&self) -> Result<(), String> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let body = match &self.source {
            JwksSource::File(path) => tokio::fs::read(path)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?,
            JwksSource::Http(url, client) => {
                let res = client.get(url).send().await.map_err(|e| e.to_string())?;
                if !res.status().is_success() {
                    return Err(format!("{url} answered {}", res.status()));
                }
                res.bytes().await.map_err(|e| e.to_string())?.to_vec()
            }
        };
        let keys = parse_jwks(&body)?;
        tracing::info!(keys = keys.len(), "JWKS loaded");
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
        Ok(())
    }
}

/// The P-256 keys of a JWKS by `kid`; other key types are skipped.
pub fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
    #[derive(Deserialize)]
    struct Jwk {
        kty: String,
        #[serde(default)]
        crv: Option<String>,
        #[serde(default)]
        kid: Option<String>,
        #[serde(default)]
        x: Option<String>,
        #[serde(default)]
        y: Option<String>,
    }
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<Value>,
    }
    let set: Set = serde_json::from_slice(body).map_err(|e| format!("JWKS: {e}"))?;
    let mut out = HashMap::new();
    for raw in set.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(raw) else {
            continue;
        };
        let (Some(kid), Some(x), Some(y)) = (jwk.kid, jwk.x, jwk.y) else {
            continue;
        };
        if jwk.kty != "EC" || jwk.crv.as_deref() != Some("P-256") || x.len() != 43 || y.len() != 43
        {
            continue;
        }
        if let Ok(key) = DecodingKey::from_ec_components(&x, &y) {
            out.insert(kid, Arc::new(key));
        }
    }
    Ok(out)
}

/// Where verification keys come from.
#[derive(Default)]
pub struct KeyRing {
    pub pem: Option<Arc<DecodingKey>>,
    pub jwks: Option<Jwks>,
    /// Dev mode only: the local key and its `kid`.
    pub dev: Option<(String, Arc<DecodingKey>)>,
}

impl KeyRing {
    pub fn pem_key(pem: &str) -> Result<Arc<DecodingKey>, String> {
        DecodingKey::from_ec_pem(pem.as_bytes())
            .map(Arc::new)
            .map_err(|e| format!("not an SPKI P-256 PEM public key: {e}"))
    }

    async fn key_for(&self, kid: Option<&str>) -> Result<Arc<DecodingKey>, AuthError> {
        if let (Some(kid), Some((dev_kid, key))) = (kid, &self.dev) {
            if kid == dev_kid {
                return Ok(key.clone());
            }
        }
        if let (Some(jwks), Some(kid)) = (&self.jwks, kid) {
            if let Some(key) = jwks.key(kid).await {
                return Ok(key);
            }
        }
        match &self.pem {
            // With a JWKS too, the PEM key is the fallback for tokens the JWKS does not name.
            Some(key) => Ok(key.clone()),
            None => Err(AuthError::InvalidToken("signed by an unknown key")),
        }
    }
}

/// Verifies Privy access and identity tokens.
pub struct JwtVerifier {
    keys: KeyRing,
    validation: Validation,
    leeway_secs: i64,
}

impl JwtVerifier {
    pub fn new(app_id: &str, leeway: Duration, keys: KeyRing) -> JwtVerifier {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.algorithms = vec![Algorithm::ES256];
        validation.set_issuer(&[PRIVY_ISSUER]);
        validation.set_audience(&[app_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = leeway.as_secs();
        JwtVerifier {
            keys,
            validation,
            leeway_secs: i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX),
        }
    }

    pub fn jwks(&self) -> Option<&Jwks> {
        self.keys.jwks.as_ref()
    }

    /// The token's claims when its signature and every claim rule hold.
    pub async fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::InvalidToken("malformed or unsupported algorithm"))?;
        if header.alg != Algorithm::ES256 {
            return Err(AuthError::InvalidToken("only ES256 is accepted"));
        }
        let key = self.keys.key_for(header.kid.as_deref()).await?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|e| AuthError::InvalidToken(reason(e.kind())))?;
        if data
            .claims
            .iat
            .is_some_and(|iat| iat > now_secs.saturating_add(self.leeway_secs))
        {
            return Err(AuthError::InvalidToken("issued in the future"));
        }
        if data.claims.sub.is_empty() {
            return Err(AuthError::InvalidToken("empty sub"));
        }
        // The `sub` is stored (the user's wallet binding) and PostgreSQL refuses a NUL in text;
        // the token is genuine, so this is bad input (400), not a failed authentication.
        types::json::check_text("sub", &data.claims.sub)?;
        Ok(data.claims)
    }
}

fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "a required claim (exp, iss, aud, sub) is missing",
        ErrorKind::InvalidAlgorithm => "only ES256 is accepted",
        _ => "malformed",
    }
}
