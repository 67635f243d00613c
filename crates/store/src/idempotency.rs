//! The `idempotency_keys` table: a wallet's keys, the hash of the body that claimed each, and
//! the response once it is answered. The rules of a claim are the order domain's
//! (`orders::idempotency`); these functions carry them out.

use sqlx::Row;
use types::{Timestamp, Wallet};

use crate::error::StoreError;
use crate::tx::Tx;
use crate::Store;

/// A key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// The hash of the body of the request that claimed it.
    pub request_hash: String,
    /// Its answer, once there is one.
    pub response: Option<String>,
    pub claimed_at: Timestamp,
}

/// The response to store for a claimed key.
#[derive(Clone, Copy, Debug)]
pub struct IdempotentResponse<'a> {
    pub wallet: Wallet,
    pub key: &'a str,
    pub response: &'a str,
}

/// Keeps the response (parameter 1) for the key (wallet, key: 2 and 3) its request claimed.
/// SQLite reads `$n` as named parameters numbered by first use, so the store's direct
/// connection binds it by position too.
pub(crate) const KEEP_RESPONSE: &str = "UPDATE idempotency_keys SET response = $1 \
    WHERE wallet = $2 AND idempotency_key = $3 AND response IS NULL";

impl IdempotentResponse<'_> {
    /// Keeps the response in `tx`, so that it commits with what it describes.
    pub async fn store_in(&self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        sqlx::query(KEEP_RESPONSE)
            .bind(self.response)
            .bind(self.wallet.to_string())
            .bind(self.key)
            .execute(&mut *tx.inner)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Stores the response of a claimed key when no orders are stored with it (every item of
    /// the batch was refused); otherwise [`Store::insert_orders`] stores it with the orders.
    pub async fn complete_idempotency_key(
        &self,
        response: &IdempotentResponse<'_>,
    ) -> Result<(), StoreError> {
        let mut writer = self.write_connection().await?;
        let mut tx = writer.begin().await?;
        let stored = response.store_in(&mut tx).await;
        tx.finish(stored).await
    }

    /// Gives a claim back when its request failed without an answer worth replaying (a 5xx),
    /// so that a retry with the same key is processed afresh. True when the claim was there.
    pub async fn release_idempotency_key(
        &self,
        wallet: Wallet,
        key: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "DELETE FROM idempotency_keys WHERE wallet = $1 AND idempotency_key = $2 \
             AND response IS NULL",
        )
        .bind(wallet.to_string())
        .bind(key)
        .execute(self.write_connection().await?.connection())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Deletes at most `limit` of the keys claimed at or before `claimed_before` (oldest
    /// first, through the `created_at` index); returns how many. Bounded, so that a large purge
    /// holds the write connection for many short turns instead of one long one.
    pub async fn purge_idempotency_keys(
        &self,
        claimed_before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "DELETE FROM idempotency_keys WHERE (wallet, idempotency_key) IN \
             (SELECT wallet, idempotency_key FROM idempotency_keys WHERE created_at <= $1 \
             ORDER BY created_at LIMIT $2)",
        )
        .bind(claimed_before.0)
        .bind(i64::from(limit))
        .execute(self.write_connection().await?.connection())
        .await?;
        Ok(result.rows_affected())
    }

    /// How many keys each wallet that has any holds. A stored wallet that does not parse is
    /// left out (and logged): it cannot be a caller's.
    pub async fn idempotency_key_counts(&self) -> Result<Vec<(Wallet, u64)>, StoreError> {
        let rows =
            sqlx::query("SELECT wallet, COUNT(*) AS n FROM idempotency_keys GROUP BY wallet")
                .fetch_all(&self.read)
                .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in rows {
            let wallet: String = row.try_get("wallet")?;
            let n: i64 = row.try_get("n")?;
            match wallet.parse() {
                Ok(w) => counts.push((w, u64::try_from(n).unwrap_or(0))),
                Err(_) => tracing::warn!(%wallet, "idempotency key of an unparsable wallet"),
            }
        }
        Ok(counts)
    }

    /// Deletes the wallet's keys but its `keep` most recently claimed; returns how many.
    pub async fn trim_idempotency_keys(
        &self,
        wallet: Wallet,
        keep: u32,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "DELETE FROM idempotency_keys WHERE wallet = $1 AND idempotency_key NOT IN \
             (SELECT idempotency_key FROM idempotency_keys WHERE wallet = $1 \
             ORDER BY created_at DESC, idempotency_key DESC LIMIT $2)",
        )
        .bind(wallet.to_string())
        .bind(i64::from(keep))
        .execute(self.write_connection().await?.connection())
        .await?;
        Ok(result.rows_affected())
    }
}

/// Claims the key for a request whose body hashes to `request_hash`; `false` when the wallet
/// has it already (then [`lock_key`] says how).
pub async fn insert_key(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    key: &str,
    request_hash: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (wallet, idempotency_key, request_hash, response, \
         created_at) VALUES ($1, $2, $3, NULL, $4) \
         ON CONFLICT (wallet, idempotency_key) DO NOTHING",
    )
    .bind(wallet.to_string())
    .bind(key)
    .bind(request_hash)
    .bind(now.0)
    .execute(&mut *tx.inner)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Locks and reads the wallet's key; `None` when it has none.
pub async fn lock_key(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    key: &str,
) -> Result<Option<StoredKey>, StoreError> {
    let sql = format!(
        "SELECT request_hash, response, created_at FROM idempotency_keys \
         WHERE wallet = $1 AND idempotency_key = $2{}",
        tx.backend().for_update()
    );
    let row = sqlx::query(&sql)
        .bind(wallet.to_string())
        .bind(key)
        .fetch_optional(&mut *tx.inner)
        .await?;
    row.map(|row| {
        Ok(StoredKey {
            request_hash: row.try_get("request_hash")?,
            response: row.try_get("response")?,
            claimed_at: Timestamp(row.try_get("created_at")?),
        })
    })
    .transpose()
}

/// Claims a key the wallet already has afresh, for another request: no response yet.
pub async fn reclaim_key(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    key: &str,
    request_hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE idempotency_keys SET request_hash = $1, response = NULL, created_at = $2 \
         WHERE wallet = $3 AND idempotency_key = $4",
    )
    .bind(request_hash)
    .bind(now.0)
    .bind(wallet.to_string())
    .bind(key)
    .execute(&mut *tx.inner)
    .await?;
    Ok(())
}
