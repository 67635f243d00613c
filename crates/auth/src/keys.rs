//! The API key lifecycle (docs/api.md 4): create, list, change, regenerate, revoke. Every change
//! evicts the key from the caches of every instance before it returns.

use store::api_keys::{self, ApiKeyChange, ApiKeyRecord};
use store::Store;
use types::{InvalidField, Secret, Timestamp, Wallet};

use crate::api_key::{self, hash_to_hex};
use crate::error::AuthError;
use crate::invalidation::Invalidator;
use crate::key_cache::KeyCache;
use crate::last_used::LastUsed;
use crate::permissions::Permissions;

pub use crate::error::MAX_LIVE_KEYS;

/// Revoked or expired keys a listing shows: the ones that ended last. A wallet can create and
/// revoke keys without end, and every listing would carry them all.
pub const MAX_LISTED_ENDED_KEYS: u32 = 25;

/// A key's public metadata, as listed.
#[derive(Clone, Debug)]
pub struct KeyInfo {
    pub key_id: String,
    pub name: Option<String>,
    pub permissions: Permissions,
    pub wallet: Wallet,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A key with its secret: only ever returned by creation and regeneration.
pub struct IssuedKey {
    pub info: KeyInfo,
    pub secret: Secret<String>,
}

/// A validated creation request.
pub struct NewKey {
    pub name: Option<String>,
    pub permissions: Permissions,
    pub expires_at: Option<Timestamp>,
}

/// A key's name, when one is given: 1 to 64 characters.
pub fn key_name(name: Option<String>) -> Result<Option<String>, InvalidField> {
    match name {
        Some(n) if !(1..=64).contains(&n.chars().count()) => {
            Err(InvalidField::new("name", "must be 1 to 64 characters"))
        }
        other => Ok(other),
    }
}

/// A key's permissions, when given: known names, at least one.
pub fn key_permissions(list: Option<Vec<String>>) -> Result<Option<Permissions>, InvalidField> {
    let Some(list) = list else { return Ok(None) };
    let set = Permissions::from_names(&list).map_err(|e| InvalidField::new("permissions", e))?;
    if set.is_empty() {
        return Err(InvalidField::new(
            "permissions",
            "must name at least one of read, trade",
        ));
    }
    Ok(Some(set))
}

/// A key's expiry, when given: an RFC 3339 time after `now`.
pub fn key_expiry(raw: Option<&str>, now: Timestamp) -> Result<Option<Timestamp>, InvalidField> {
    let Some(raw) = raw else { return Ok(None) };
    let t = Timestamp::parse_rfc3339(raw)
        .ok_or_else(|| InvalidField::new("expires_at", "must be an RFC 3339 time"))?;
    if t <= now {
        return Err(InvalidField::new("expires_at", "must be in the future"));
    }
    Ok(Some(t))
}

/// What the lifecycle works on: the authenticator's store, key hasher, key cache, pending
/// `last_used_at` values and invalidator. The authenticator lends them for each call.
pub(crate) struct KeyLifecycle<'a> {
    pub(crate) store: &'a Store,
    pub(crate) hasher: &'a Option<api_key::SecretHasher>,
    pub(crate) key_cache: &'a KeyCache,
    pub(crate) last_used: &'a LastUsed,
    pub(crate) invalidator: &'a Invalidator,
}

impl KeyLifecycle<'_> {
    fn info(&self, r: ApiKeyRecord) -> Result<KeyInfo, AuthError> {
        let permissions = Permissions::from_stored(&r.permissions).ok_or_else(|| {
            AuthError::Store(store::StoreError::Corrupt(format!(
                "api_keys.permissions = {:?}",
                r.permissions
            )))
        })?;
        let last_used_at = match (r.last_used_at, self.last_used.pending(&r.key_id)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(KeyInfo {
            key_id: r.key_id,
            name: r.name,
            permissions,
            wallet: r.wallet,
            created_at: r.created_at,
            last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        })
    }

    fn hasher(&self) -> Result<&api_key::SecretHasher, AuthError> {
        self.hasher.as_ref().ok_or(AuthError::ApiKeysDisabled)
    }

    pub async fn create_key(&self, wallet: Wallet, new: NewKey) -> Result<IssuedKey, AuthError> {
        let hasher = self.hasher()?;
        let now = Timestamp::now();
        let secret = api_key::new_secret()?;
        let record = ApiKeyRecord {
            key_id: api_key::new_key_id()?,
            wallet,
            name: new.name,
            permissions: new.permissions.to_stored(),
            secret_hash: hash_to_hex(&hasher.hash(secret.expose())),
            created_at: now,
            last_used_at: None,
            expires_at: new.expires_at,
            revoked_at: None,
        };
        insert_within_limit(self.store, &record, now).await?;
        tracing::info!(key_id = %record.key_id, %wallet, "API key created");
        Ok(IssuedKey {
            info: self.info(record)?,
            secret,
        })
    }

    /// The wallet's live keys and the [`MAX_LISTED_ENDED_KEYS`] that ended last, newest first.
    pub async fn list_keys(&self, wallet: Wallet) -> Result<Vec<KeyInfo>, AuthError> {
        let records = self
            .store
            .listed_api_keys(wallet, Timestamp::now(), MAX_LISTED_ENDED_KEYS)
            .await?;
        records.into_iter().map(|r| self.info(r)).collect()
    }

    pub async fn update_key(
        &self,
        wallet: Wallet,
        key_id: &str,
        name: Option<String>,
        permissions: Option<Permissions>,
    ) -> Result<KeyInfo, AuthError> {
        if !api_key::is_key_id(key_id) {
            return Err(AuthError::KeyNotFound);
        }
        let change = ApiKeyChange {
            name,
            permissions: permissions.map(Permissions::to_stored),
        };
        let updated = self.store.update_api_key(key_id, wallet, &change).await?;
        self.evict(key_id).await;
        let record = updated.ok_or(AuthError::KeyNotFound)?;
        tracing::info!(%key_id, "API key changed");
        self.info(record)
    }

    pub async fn regenerate_key(
        &self,
        wallet: Wallet,
        key_id: &str,
    ) -> Result<IssuedKey, AuthError> {
        if !api_key::is_key_id(key_id) {
            return Err(AuthError::KeyNotFound);
        }
        let hasher = self.hasher()?;
        let secret = api_key::new_secret()?;
        let hash = hash_to_hex(&hasher.hash(secret.expose()));
        let updated = self
            .store
            .replace_api_key_secret(key_id, wallet, &hash)
            .await?;
        self.evict(key_id).await;
        let record = updated.ok_or(AuthError::KeyNotFound)?;
        tracing::info!(%key_id, "API key secret regenerated");
        Ok(IssuedKey {
            info: self.info(record)?,
            secret,
        })
    }

    pub async fn revoke_key(&self, wallet: Wallet, key_id: &str) -> Result<(), AuthError> {
        if !api_key::is_key_id(key_id) {
            return Err(AuthError::KeyNotFound);
        }
        let found = self
            .store
            .revoke_api_key(key_id, wallet, Timestamp::now())
            .await?;
        self.evict(key_id).await;
        if !found {
            return Err(AuthError::KeyNotFound);
        }
        tracing::info!(%key_id, "API key revoked");
        Ok(())
    }

    /// Evicts here at once, then tells the other instances.
    async fn evict(&self, key_id: &str) {
        self.key_cache.invalidate(key_id);
        self.invalidator.publish(key_id).await;
    }
}

/// Inserts the key unless its wallet already holds [`MAX_LIVE_KEYS`] live keys, in one
/// transaction that holds the wallet's creations in line.
async fn insert_within_limit(
    store: &Store,
    record: &ApiKeyRecord,
    now: Timestamp,
) -> Result<(), AuthError> {
    let mut conn = store.write_connection().await?;
    let mut tx = conn.begin().await?;
    let inserted = async {
        api_keys::lock_key_owner(&mut tx, record.wallet, now).await?;
        if api_keys::count_live_keys(&mut tx, record.wallet, now).await? >= MAX_LIVE_KEYS {
            return Err(AuthError::KeyLimitReached);
        }
        api_keys::insert_api_key(&mut tx, record, now).await?;
        Ok(())
    }
    .await;
    tx.finish(inserted).await
}
