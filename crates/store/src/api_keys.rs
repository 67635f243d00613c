//! The `api_keys` table: one row per key, bound to a wallet, holding only a keyed hash of its secret.
//!
//! Every write names the owning wallet in its `WHERE`, so a key of another wallet behaves exactly
//! like a missing one.

use sqlx::any::AnyRow;
use sqlx::Row;
use types::{Timestamp, Wallet};

use crate::error::{parse_col, StoreError};
use crate::tx::Tx;
use crate::Store;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub key_id: String,
    pub wallet: Wallet,
    pub name: Option<String>,
    /// Comma-separated permission names, as the auth layer wrote them.
    pub permissions: String,
    /// Hex HMAC-SHA256 of the secret under the server's pepper.
    pub secret_hash: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiKeyRecord {
    /// Neither revoked nor expired at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// What a PATCH may change; `None` leaves the column as it is.
#[derive(Clone, Debug, Default)]
pub struct ApiKeyChange {
    pub name: Option<String>,
    pub permissions: Option<String>,
}

const COLUMNS: &str = "key_id, wallet, name, permissions, secret_hash, created_at, last_used_at, \
    expires_at, revoked_at";

fn from_row(row: &AnyRow) -> Result<ApiKeyRecord, StoreError> {
    let opt_time = |c: &str| -> Result<Option<Timestamp>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(c)?.map(Timestamp))
    };
    Ok(ApiKeyRecord {
        key_id: row.try_get("key_id")?,
        wallet: parse_col(&row.try_get::<String, _>("wallet")?, "wallet")?,
        name: row.try_get("name")?,
        permissions: row.try_get("permissions")?,
        secret_hash: row.try_get("secret_hash")?,
        created_at: Timestamp(row.try_get("created_at")?),
        last_used_at: opt_time("last_used_at")?,
        expires_at: opt_time("expires_at")?,
        revoked_at: opt_time("revoked_at")?,
    })
}

impl Store {
    /// The key with this id, whoever owns it (authentication looks keys up by id alone).
    pub async fn api_key(&self, key_id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_keys WHERE key_id = $1"))
            .bind(key_id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The wallet's keys as listed, newest first: every live one at `now`, and the
    /// `ended_limit` that ended last (revoked, or expired unrevoked), by when they ended.
    ///
    /// Live keys are bounded by the live-key limit; ended ones are not (a client may create and
    /// revoke forever), so without `ended_limit` a listing would grow without bound.
    pub async fn listed_api_keys(
        &self,
        wallet: Wallet,
        now: Timestamp,
        ended_limit: u32,
    ) -> Result<Vec<ApiKeyRecord>, StoreError> {
        const LIVE: &str = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)";
        let sql = format!(
            "SELECT {COLUMNS} FROM api_keys WHERE wallet = $1 AND {LIVE} \
             UNION ALL \
             SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM api_keys WHERE wallet = $1 AND NOT ({LIVE}) \
             ORDER BY COALESCE(revoked_at, expires_at) DESC, key_id DESC LIMIT $3) AS ended"
        );
        let rows = sqlx::query(&sql)
            .bind(wallet.to_string())
            .bind(now.0)
            .bind(i64::from(ended_limit))
            .fetch_all(&self.read)
            .await?;
        let mut keys = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        keys.sort_by(|a, b| (b.created_at, &b.key_id).cmp(&(a.created_at, &a.key_id)));
        Ok(keys)
    }

    /// Applies `change` to the wallet's unrevoked key; `None` when there is no such key.
    pub async fn update_api_key(
        &self,
        key_id: &str,
        wallet: Wallet,
        change: &ApiKeyChange,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET name = COALESCE($1, name), permissions = COALESCE($2, permissions) \
             WHERE key_id = $3 AND wallet = $4 AND revoked_at IS NULL",
        )
        .bind(change.name.clone())
        .bind(change.permissions.clone())
        .bind(key_id)
        .bind(wallet.to_string())
        .execute(self.write_connection().await?.connection())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.api_key_on_writer(key_id).await
    }

    /// Replaces the secret hash of the wallet's unrevoked key; `None` when there is no such key.
    pub async fn replace_api_key_secret(
        &self,
        key_id: &str,
        wallet: Wallet,
        secret_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET secret_hash = $1 \
             WHERE key_id = $2 AND wallet = $3 AND revoked_at IS NULL",
        )
        .bind(secret_hash)
        .bind(key_id)
        .bind(wallet.to_string())
        .execute(self.write_connection().await?.connection())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.api_key_on_writer(key_id).await
    }

    /// Soft-revokes the wallet's key (a revoked key keeps its first `revoked_at`).
    /// False when the wallet has no key with this id.
    pub async fn revoke_api_key(
        &self,
        key_id: &str,
        wallet: Wallet,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE key_id = $2 AND wallet = $3",
        )
        .bind(now.0)
        .bind(key_id)
        .bind(wallet.to_string())
        .execute(self.write_connection().await?.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records when keys were last used; an older time never overwrites a newer one.
    pub async fn touch_api_keys(&self, used: &[(String, Timestamp)]) -> Result<(), StoreError> {
        if used.is_empty() {
            return Ok(());
        }
        let mut writer = self.write_connection().await?;
        let mut tx = writer.begin().await?;
        for (key_id, at) in used {
            let result = sqlx::query(
                "UPDATE api_keys SET last_used_at = $1 \
                 WHERE key_id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(at.0)
            .bind(key_id)
            .execute(&mut *tx.inner)
            .await;
            if let Err(e) = result {
                tx.rollback().await;
                return Err(e.into());
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Reads back through the writer, so a read right after a write sees it on SQLite too.
    async fn api_key_on_writer(&self, key_id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_keys WHERE key_id = $1"))
            .bind(key_id)
            .fetch_optional(self.write_connection().await?.connection())
            .await?;
        row.as_ref().map(from_row).transpose()
    }
}

/// Locks the wallet's right to create keys (its `api_key_owners` row, created when missing),
/// so that creations of one wallet follow each other on PostgreSQL (SQLite has one writer).
pub async fn lock_key_owner(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    now: Timestamp,
) -> Result<(), StoreError> {
    let wallet = wallet.to_string();
    sqlx::query(
        "INSERT INTO api_key_owners (wallet, updated_at) VALUES ($1, $2) \
         ON CONFLICT (wallet) DO NOTHING",
    )
    .bind(&wallet)
    .bind(now.0)
    .execute(&mut *tx.inner)
    .await?;
    let lock = format!(
        "SELECT wallet FROM api_key_owners WHERE wallet = $1{}",
        tx.backend().for_update()
    );
    sqlx::query(&lock)
        .bind(&wallet)
        .fetch_one(&mut *tx.inner)
        .await?;
    Ok(())
}

/// How many of the wallet's keys are live (not revoked, not expired) at `now`.
pub async fn count_live_keys(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    now: Timestamp,
) -> Result<u32, StoreError> {
    let live: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM api_keys WHERE wallet = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(wallet.to_string())
    .bind(now.0)
    .fetch_one(&mut *tx.inner)
    .await?
    .try_get("n")?;
    u32::try_from(live).map_err(|_| StoreError::Corrupt(format!("{live} live keys")))
}

/// Inserts the key, and notes the owner's change.
pub async fn insert_api_key(
    tx: &mut Tx<'_>,
    key: &ApiKeyRecord,
    now: Timestamp,
) -> Result<(), StoreError> {
    let wallet = key.wallet.to_string();
    sqlx::query(&format!(
        "INSERT INTO api_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&key.key_id)
    .bind(&wallet)
    .bind(key.name.clone())
    .bind(&key.permissions)
    .bind(&key.secret_hash)
    .bind(key.created_at.0)
    .bind(key.last_used_at.map(|t| t.0))
    .bind(key.expires_at.map(|t| t.0))
    .bind(key.revoked_at.map(|t| t.0))
    .execute(&mut *tx.inner)
    .await?;
    sqlx::query("UPDATE api_key_owners SET updated_at = $1 WHERE wallet = $2")
        .bind(now.0)
        .bind(&wallet)
        .execute(&mut *tx.inner)
        .await?;
    Ok(())
}
