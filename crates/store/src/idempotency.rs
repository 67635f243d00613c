//! Idempotency keys of `POST /v1/orders`, kept in the database so they survive a restart.
//!
//! A key belongs to the wallet that sent it. The first request claims it; its response is
//! stored in the same transaction as its orders; a later request with the same key and the
//! same body (compared by a hash the caller computes) within 24 h gets that response back, one
//! with another body is a conflict.

use sqlx::Row;
use types::{Timestamp, Wallet};

use crate::error::StoreError;
use crate::tx::Tx;
use crate::Store;

/// How long a key's response is replayed.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// A claim whose request never stored a response (the instance died mid-request) is given up
/// after this long, so the key does not stay unusable for a day.
pub const IN_FLIGHT_TIMEOUT_MS: i64 = 60 * 1000;

/// What a request with an idempotency key should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is this request's: process it, then store the response.
    Claimed,
    /// Same key, same body, answered before: send this response again.
    Replay(String),
    /// Same key, another body, within the window.
    Conflict,
    /// Same key, same body, and the first request is still being answered.
    InFlight,
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
    /// Claims `key` for a request whose body hashes to `request_hash`, or says why not.
    pub async fn claim_idempotency_key(
        &self,
        wallet: Wallet,
        key: &str,
        request_hash: &str,
        now: Timestamp,
    ) -> Result<IdempotencyClaim, StoreError> {
        let wallet_s = wallet.to_string();
        let mut writer = self.write_connection().await?;
        let mut tx = writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (wallet, idempotency_key, request_hash, response, \
             created_at) VALUES ($1, $2, $3, NULL, $4) \
             ON CONFLICT (wallet, idempotency_key) DO NOTHING",
        )
        .bind(&wallet_s)
        .bind(key)
        .bind(request_hash)
        .bind(now.0)
        .execute(&mut *tx.inner)
        .await;
        let inserted = match inserted {
            Ok(r) => r.rows_affected() == 1,
            Err(e) => {
                tx.rollback().await;
                return Err(e.into());
            }
        };
        if inserted {
            tx.commit().await?;
            return Ok(IdempotencyClaim::Claimed);
        }
        let sql = format!(
            "SELECT request_hash, response, created_at FROM idempotency_keys \
             WHERE wallet = $1 AND idempotency_key = $2{}",
            self.backend().for_update()
        );
        let row = match sqlx::query(&sql)
            .bind(&wallet_s)
            .bind(key)
            .fetch_one(&mut *tx.inner)
            .await
        {
            Ok(row) => row,
            Err(e) => {
                tx.rollback().await;
                return Err(e.into());
            }
        };
        let stored_hash: String = row.try_get("request_hash")?;
        let response: Option<String> = row.try_get("response")?;
        let created_at: i64 = row.try_get("created_at")?;
        let age = now.0.saturating_sub(created_at);
        let expired = age >= IDEMPOTENCY_WINDOW_MS;
        let abandoned = response.is_none() && age >= IN_FLIGHT_TIMEOUT_MS;
        if expired || abandoned {
            let renewed = sqlx::query(
                "UPDATE idempotency_keys SET request_hash = $1, response = NULL, created_at = $2 \
                 WHERE wallet = $3 AND idempotency_key = $4",
            )
            .bind(request_hash)
            .bind(now.0)
            .bind(&wallet_s)
            .bind(key)
            .execute(&mut *tx.inner)
            .await;
            if let Err(e) = renewed {
                tx.rollback().await;
                return Err(e.into());
            }
            tx.commit().await?;
            return Ok(IdempotencyClaim::Claimed);
        }
        tx.rollback().await;
        Ok(if stored_hash != request_hash {
            IdempotencyClaim::Conflict
        } else {
            match response {
                Some(r) => IdempotencyClaim::Replay(r),
                None => IdempotencyClaim::InFlight,
            }
        })
    }

    /// Stores the response of a claimed key when no orders are stored with it (every item of
    /// the batch was refused); otherwise [`Store::insert_orders`] stores it with the orders.
    pub async fn complete_idempotency_key(
        &self,
        response: &IdempotentResponse<'_>,
    ) -> Result<(), StoreError> {
        let mut writer = self.write_connection().await?;
        let mut tx = writer.begin().await?;
        if let Err(e) = response.store_in(&mut tx).await {
            tx.rollback().await;
            return Err(e);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives a claim back when its request failed without an answer worth replaying (a 5xx),
    /// so that a retry with the same key is processed afresh.
    pub async fn release_idempotency_key(
        &self,
        wallet: Wallet,
        key: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE wallet = $1 AND idempotency_key = $2 \
             AND response IS NULL",
        )
        .bind(wallet.to_string())
        .bind(key)
        .execute(self.write_connection().await?.connection())
        .await?;
        Ok(())
    }

    /// Deletes keys older than the replay window; returns how many.
    pub async fn purge_idempotency_keys(&self, now: Timestamp) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
            .bind(now.0.saturating_sub(IDEMPOTENCY_WINDOW_MS))
            .execute(self.write_connection().await?.connection())
            .await?;
        Ok(result.rows_affected())
    }
}
