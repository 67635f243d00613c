//! Idempotency keys of `POST /v1/orders`: the rules of a claim. A key belongs to the wallet
//! that sent it. The first request claims it; its response is stored in the same transaction
//! as its orders; a later request with the same key and the same body (compared by a hash the
//! caller computes) within 24 h gets that response back, one with another body is a conflict.
//! The keys are kept in the database (`store::idempotency`), so they survive a restart and are
//! shared by every instance.

use store::idempotency::{insert_key, lock_key, reclaim_key};
use store::{Store, StoreError};
use types::{Timestamp, Wallet};

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

/// Claims `key` for a request whose body hashes to `request_hash`, or says why not.
pub async fn claim_key(
    store: &Store,
    wallet: Wallet,
    key: &str,
    request_hash: &str,
    now: Timestamp,
) -> Result<IdempotencyClaim, StoreError> {
    let mut conn = store.write_connection().await?;
    let mut tx = conn.begin().await?;
    let claim = match decide_claim(&mut tx, wallet, key, request_hash, now).await {
        Ok(claim) => claim,
        Err(e) => {
            tx.rollback().await;
            return Err(e);
        }
    };
    if claim == IdempotencyClaim::Claimed {
        tx.commit().await?;
    } else {
        tx.rollback().await;
    }
    Ok(claim)
}

async fn decide_claim(
    tx: &mut store::Tx<'_>,
    wallet: Wallet,
    key: &str,
    request_hash: &str,
    now: Timestamp,
) -> Result<IdempotencyClaim, StoreError> {
    if insert_key(tx, wallet, key, request_hash, now).await? {
        return Ok(IdempotencyClaim::Claimed);
    }
    let stored = lock_key(tx, wallet, key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("idempotency key {key:?} vanished")))?;
    let age = now.0.saturating_sub(stored.claimed_at.0);
    let expired = age >= IDEMPOTENCY_WINDOW_MS;
    let abandoned = stored.response.is_none() && age >= IN_FLIGHT_TIMEOUT_MS;
    if expired || abandoned {
        reclaim_key(tx, wallet, key, request_hash, now).await?;
        return Ok(IdempotencyClaim::Claimed);
    }
    Ok(if stored.request_hash != request_hash {
        IdempotencyClaim::Conflict
    } else {
        match stored.response {
            Some(r) => IdempotencyClaim::Replay(r),
            None => IdempotencyClaim::InFlight,
        }
    })
}

/// Deletes the keys older than the replay window; returns how many.
pub async fn purge_expired_keys(store: &Store, now: Timestamp) -> Result<u64, StoreError> {
    store
        .purge_idempotency_keys(Timestamp(now.0.saturating_sub(IDEMPOTENCY_WINDOW_MS)))
        .await
}
