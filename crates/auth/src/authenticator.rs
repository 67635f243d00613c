//! Turns presented credentials into a principal: the one authentication path every guarded
//! route takes, with the caches, the throttle and wallet resolution (in the order of docs/api.md
//! 2.2). It also fronts the API key lifecycle of `keys`, lending it the store, the caches and the
//! invalidator.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::Store;
use types::{Secret, Timestamp, Wallet};

use crate::access::{Access, CredentialKind};
use crate::api_key::{self, SecretHasher};
use crate::dev::{SigningKey, DEV_KID};
use crate::error::AuthError;
use crate::identity::wallet_from_linked_accounts;
use crate::invalidation::Invalidator;
use crate::jwt::{Jwks, JwtVerifier, KeyRing, JWKS_MIN_REFETCH};
use crate::jwt_cache::{digest_of, CachedJwt, JwtCache};
use crate::key_cache::{CachedKey, KeyCache};
use crate::keys::{IssuedKey, KeyInfo, KeyLifecycle, NewKey};
use crate::last_used::LastUsed;
use crate::permissions::Permissions;
use crate::privy_api::PrivyApi;
use crate::throttle::{Subject, Throttle};
use crate::ws_token::WsTokens;

/// Entries older than this are re-read even without an eviction (a backstop only).
const KEY_CACHE_TTL: Duration = Duration::from_secs(60);
const KEY_CACHE_CAPACITY: usize = 100_000;
const JWT_CACHE_CAPACITY: usize = 100_000;
const BINDINGS_CAPACITY: usize = 100_000;
/// A user Privy's API knows no wallet for is not asked about again for this long.
const NO_WALLET_TTL: Duration = Duration::from_secs(60);

/// What the authenticator is built from (the gateway's configuration, README.md).
#[derive(Default)]
pub struct AuthSettings {
    pub app_id: Option<String>,
    pub leeway: Duration,
    pub verification_key_pem: Option<String>,
    pub jwks_url: Option<String>,
    pub app_secret: Option<Secret<String>>,
    pub api_base: String,
    pub pepper: Option<Secret<Vec<u8>>>,
    /// Dev mode only: trusted for tokens whose `kid` is `fs-dev`.
    pub dev_key: Option<SigningKey>,
    pub redis_url: Option<Secret<String>>,
}

/// The credentials of one request, as sent.
#[derive(Clone, Copy, Debug)]
pub enum Presented<'a> {
    None,
    /// `fs-api-key` + `fs-api-secret`; used whenever sent, even beside a JWT.
    KeyPair {
        key_id: &'a str,
        secret: &'a str,
    },
    Jwt {
        bearer: &'a str,
        id_token: Option<&'a str>,
    },
}

/// Who is calling, after authentication and the tier check.
#[derive(Clone, Debug)]
pub struct Principal {
    pub wallet: Wallet,
    pub credential: Credential,
}

#[derive(Clone, Debug)]
pub enum Credential {
    Jwt {
        sub: Arc<str>,
    },
    ApiKey {
        key_id: String,
        permissions: Permissions,
    },
}

pub struct Authenticator {
    store: Store,
    jwt: Option<JwtVerifier>,
    hasher: Option<SecretHasher>,
    privy_api: Option<PrivyApi>,
    key_cache: Arc<KeyCache>,
    jwt_cache: JwtCache,
    bindings: Mutex<HashMap<String, Wallet>>,
    /// Users Privy's API answered without a wallet, and when.
    no_wallet: Mutex<HashMap<String, std::time::Instant>>,
    throttle: Throttle,
    last_used: LastUsed,
    invalidator: Invalidator,
    pub(crate) ws_tokens: WsTokens,
}

impl Authenticator {
    /// Builds the authenticator; the error names the setting at fault.
    pub async fn new(settings: AuthSettings, store: Store) -> Result<Authenticator, String> {
        let app_id = settings.app_id.clone().or_else(|| {
            settings
                .dev_key
                .as_ref()
                .map(|_| crate::dev::DEV_APP_ID.to_owned())
        });
        let mut keys = KeyRing::default();
        if let Some(pem) = &settings.verification_key_pem {
            keys.pem =
                Some(KeyRing::pem_key(pem).map_err(|e| format!("FS_PRIVY_VERIFICATION_KEY: {e}"))?);
        }
        if let Some(url) = &settings.jwks_url {
            let jwks =
                Jwks::new(url, JWKS_MIN_REFETCH).map_err(|e| format!("FS_PRIVY_JWKS_URL: {e}"))?;
            jwks.load().await;
            keys.jwks = Some(jwks);
        }
        if let Some(dev) = &settings.dev_key {
            keys.dev = Some((DEV_KID.to_owned(), dev.decoding_key()));
        }
        let has_key = keys.pem.is_some() || keys.jwks.is_some() || keys.dev.is_some();
        let jwt = match (&app_id, has_key) {
            (Some(app_id), true) => Some(JwtVerifier::new(app_id, settings.leeway, keys)),
            (None, true) => {
                return Err(
                    "FS_PRIVY_APP_ID: required with a Privy verification key or JWKS".into(),
                )
            }
            (_, false) => {
                tracing::warn!("no Privy verification key or JWKS: JWTs are refused");
                None
            }
        };
        let privy_api = match (&settings.app_secret, &app_id) {
            (Some(secret), Some(app_id)) => Some(
                PrivyApi::new(&settings.api_base, app_id, secret.clone())
                    .map_err(|e| format!("FS_PRIVY_API_BASE: {e}"))?,
            ),
            _ => None,
        };
        let invalidator =
            Invalidator::new(settings.redis_url.as_ref().map(|u| u.expose().as_str()))?;
        // With Redis, the cache stays off until the subscription is up.
        let key_cache = Arc::new(KeyCache::new(
            KEY_CACHE_TTL,
            KEY_CACHE_CAPACITY,
            !invalidator.uses_redis(),
        ));
        let ws_tokens = WsTokens::new(invalidator.redis_client());
        Ok(Authenticator {
            ws_tokens,
            store,
            jwt,
            hasher: settings.pepper.as_ref().map(SecretHasher::new),
            privy_api,
            key_cache,
            jwt_cache: JwtCache::new(JWT_CACHE_CAPACITY),
            bindings: Mutex::new(HashMap::new()),
            no_wallet: Mutex::new(HashMap::new()),
            throttle: Throttle::default(),
            last_used: LastUsed::default(),
            invalidator,
        })
    }

    pub fn jwks(&self) -> Option<&Jwks> {
        self.jwt.as_ref().and_then(JwtVerifier::jwks)
    }

    /// Background work: the Redis subscription and the `last_used_at` flusher. Runs forever.
    pub async fn run_background(self: Arc<Self>) {
        let subscriber = {
            let me = self.clone();
            async move { me.invalidator.run_subscriber(me.key_cache.clone()).await }
        };
        let flusher = {
            let me = self.clone();
            async move {
                let mut tick = tokio::time::interval(crate::last_used::FLUSH_EVERY);
                loop {
                    tick.tick().await;
                    me.last_used.flush(&me.store).await;
                }
            }
        };
        futures_util::future::join(subscriber, flusher).await;
    }

    /// The failed-attempt throttle, for other credentials checked per source IP (the admin
    /// token): their failures count against the same address as failed keys and JWTs.
    pub fn failed_attempts(&self) -> &Throttle {
        &self.throttle
    }

    /// The single-use WebSocket tokens (docs/api.md 5).
    pub fn ws_tokens(&self) -> &WsTokens {
        &self.ws_tokens
    }

    /// Writes pending `last_used_at` values now (at shutdown).
    pub async fn flush_last_used(&self) {
        self.last_used.flush(&self.store).await;
    }

    /// The API key lifecycle (`keys`), on this authenticator's store, caches and invalidator.
    fn keys(&self) -> KeyLifecycle<'_> {
        KeyLifecycle {
            store: &self.store,
            hasher: &self.hasher,
            key_cache: &self.key_cache,
            last_used: &self.last_used,
            invalidator: &self.invalidator,
        }
    }

    pub async fn create_key(&self, wallet: Wallet, new: NewKey) -> Result<IssuedKey, AuthError> {
        self.keys().create_key(wallet, new).await
    }

    pub async fn list_keys(&self, wallet: Wallet) -> Result<Vec<KeyInfo>, AuthError> {
        self.keys().list_keys(wallet).await
    }

    pub async fn update_key(
        &self,
        wallet: Wallet,
        key_id: &str,
        name: Option<String>,
        permissions: Option<Permissions>,
    ) -> Result<KeyInfo, AuthError> {
        self.keys()
            .update_key(wallet, key_id, name, permissions)
            .await
    }

    pub async fn regenerate_key(
        &self,
        wallet: Wallet,
        key_id: &str,
    ) -> Result<IssuedKey, AuthError> {
        self.keys().regenerate_key(wallet, key_id).await
    }

    pub async fn revoke_key(&self, wallet: Wallet, key_id: &str) -> Result<(), AuthError> {
        self.keys().revoke_key(wallet, key_id).await
    }

    /// Authenticates `presented` from `ip` and checks it against the route's `access`.
    pub async fn authorize(
        &self,
        presented: Presented<'_>,
        ip: Option<IpAddr>,
        access: Access,
    ) -> Result<Principal, AuthError> {
        // Failures count against their source only (never a key id alone, which is public).
        let key_id = match presented {
            Presented::KeyPair { key_id, .. } if api_key::is_key_id(key_id) => Some(key_id),
            _ => None,
        };
        let subjects = ip.map_or_else(Vec::new, |ip| Subject::of(ip, key_id));
        if let Err(retry_after_secs) = self.throttle.check(&subjects) {
            return Err(AuthError::Throttled { retry_after_secs });
        }
        let result = match presented {
            Presented::None => Err(AuthError::Missing),
            // A key never reaches L1, valid or not: a leaked key cannot mint keys.
            Presented::KeyPair { .. } if access == Access::L1 => Err(AuthError::KeyOnL1),
            Presented::KeyPair { key_id, secret } => self.authenticate_key(key_id, secret).await,
            Presented::Jwt { bearer, id_token } => self.authenticate_jwt(bearer, id_token).await,
        };
        match result {
            Ok(principal) => {
                let kind = match &principal.credential {
                    Credential::Jwt { .. } => CredentialKind::Jwt,
                    Credential::ApiKey { permissions, .. } => CredentialKind::ApiKey(*permissions),
                };
                access.check(kind)?;
                Ok(principal)
            }
            Err(e) => {
                if e.is_failed_attempt() {
                    self.throttle.record_failure(&subjects);
                }
                Err(e)
            }
        }
    }

    pub async fn authenticate_key(
        &self,
        key_id: &str,
        secret: &str,
    ) -> Result<Principal, AuthError> {
        if !api_key::is_key_id(key_id) {
            return Err(AuthError::UnknownKey);
        }
        let hasher = self.hasher.as_ref().ok_or(AuthError::ApiKeysDisabled)?;
        let entry = match self.key_cache.get(key_id) {
            Some(e) => e,
            None => {
                let generation = self.key_cache.generation();
                let record = self
                    .store
                    .api_key(key_id)
                    .await?
                    .ok_or(AuthError::UnknownKey)?;
                let (Some(permissions), Some(hash)) = (
                    Permissions::from_stored(&record.permissions),
                    api_key::hash_from_hex(&record.secret_hash),
                ) else {
                    tracing::error!(%key_id, "stored API key row does not parse");
                    return Err(AuthError::UnknownKey);
                };
                let entry = Arc::new(CachedKey::new(
                    record.wallet,
                    permissions,
                    hash,
                    record.expires_at,
                    record.revoked_at.is_some(),
                ));
                self.key_cache
                    .insert_if_current(key_id, entry.clone(), generation);
                entry
            }
        };
        // The secret first: without it, a caller learns nothing about the key's state.
        if !api_key::is_secret(secret) || !hasher.verify(secret, &entry.secret_hash) {
            return Err(AuthError::WrongSecret);
        }
        if entry.revoked {
            return Err(AuthError::KeyRevoked);
        }
        let now = Timestamp::now();
        if entry.expires_at.is_some_and(|e| e <= now) {
            return Err(AuthError::KeyExpired);
        }
        self.last_used.touch(key_id, now);
        Ok(Principal {
            wallet: entry.wallet,
            credential: Credential::ApiKey {
                key_id: key_id.to_owned(),
                permissions: entry.permissions,
            },
        })
    }

    pub async fn authenticate_jwt(
        &self,
        bearer: &str,
        id_token: Option<&str>,
    ) -> Result<Principal, AuthError> {
        let now_secs = Timestamp::now().millis().div_euclid(1000);
        let digest = digest_of(bearer, id_token);
        if let Some(hit) = self.jwt_cache.get(&digest, now_secs) {
            return Ok(Principal {
                wallet: hit.wallet,
                credential: Credential::Jwt { sub: hit.sub },
            });
        }
        // Read before the wallet is resolved: see `JwtCache::insert`.
        let generation = self.jwt_cache.generation();
        let verifier = self.jwt.as_ref().ok_or(AuthError::InvalidToken(
            "this gateway has no Privy key configured",
        ))?;
        let claims = verifier.verify(bearer, now_secs).await?;
        let mut exp = claims.exp;
        // (1) an identity token: the header or cookie, else the bearer itself when it is one.
        let mut from_token = None;
        if let Some(id) = id_token {
            let id_claims = verifier.verify(id, now_secs).await.map_err(|e| match e {
                AuthError::InvalidToken(why) => AuthError::InvalidIdentityToken(why),
                other => other,
            })?;
            if id_claims.sub != claims.sub {
                return Err(AuthError::InvalidIdentityToken("its sub is another user's"));
            }
            exp = exp.min(id_claims.exp);
            from_token = id_claims
                .linked_accounts
                .as_ref()
                .and_then(wallet_from_linked_accounts);
        } else if let Some(accounts) = &claims.linked_accounts {
            from_token = wallet_from_linked_accounts(accounts);
        }
        let wallet = match from_token {
            Some(w) => {
                self.remember_binding(&claims.sub, w).await;
                w
            }
            None => self
                .bound_wallet(&claims.sub)
                .await?
                .ok_or(AuthError::NoWallet)?,
        };
        let sub: Arc<str> = claims.sub.into();
        self.jwt_cache.insert(
            digest,
            CachedJwt {
                sub: sub.clone(),
                wallet,
                exp,
            },
            now_secs,
            generation,
        );
        Ok(Principal {
            wallet,
            credential: Credential::Jwt { sub },
        })
    }

    /// (2) the stored binding, (3) Privy's server API.
    async fn bound_wallet(&self, sub: &str) -> Result<Option<Wallet>, AuthError> {
        if let Some(w) = self
            .bindings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sub)
        {
            return Ok(Some(*w));
        }
        if let Some(w) = self.store.wallet_binding(sub).await? {
            self.cache_binding(sub, w);
            return Ok(Some(w));
        }
        let Some(api) = &self.privy_api else {
            return Ok(None);
        };
        {
            let mut misses = self.no_wallet.lock().unwrap_or_else(|p| p.into_inner());
            match misses.get(sub) {
                Some(at) if at.elapsed() < NO_WALLET_TTL => return Ok(None),
                Some(_) => {
                    misses.remove(sub);
                }
                None => {}
            }
        }
        match api.linked_wallet(sub).await? {
            Some(w) => {
                self.remember_binding(sub, w).await;
                Ok(Some(w))
            }
            None => {
                let mut misses = self.no_wallet.lock().unwrap_or_else(|p| p.into_inner());
                if misses.len() >= BINDINGS_CAPACITY {
                    misses.retain(|_, at| at.elapsed() < NO_WALLET_TTL);
                    if misses.len() >= BINDINGS_CAPACITY {
                        misses.clear();
                    }
                }
                misses.insert(sub.to_owned(), std::time::Instant::now());
                Ok(None)
            }
        }
    }

    /// Stores the binding when it is new or changed; a failure to store is logged, not fatal.
    async fn remember_binding(&self, sub: &str, wallet: Wallet) {
        let known = self
            .bindings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sub)
            .copied();
        if known == Some(wallet) {
            return;
        }
        match self.store.bind_wallet(sub, wallet, Timestamp::now()).await {
            Ok(()) => {
                self.cache_binding(sub, wallet);
                // Tokens resolved through the old binding act as the new wallet from the next
                // request (docs/api.md 2.2).
                self.jwt_cache.forget_user(sub);
            }
            Err(e) => tracing::warn!(error = ?e, "could not store a wallet binding"),
        }
    }

    fn cache_binding(&self, sub: &str, wallet: Wallet) {
        let mut map = self.bindings.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= BINDINGS_CAPACITY {
            map.clear();
        }
        map.insert(sub.to_owned(), wallet);
    }
}
