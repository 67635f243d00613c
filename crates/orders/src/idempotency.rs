//! Idempotency keys of `POST /v1/orders`: the rules of a claim. A key belongs to the wallet
//! that sent it. The first request claims it; its response is stored in the same transaction
//! as its orders; a later request with the same key and the same body (compared by a hash the
//! caller computes) within 24 h gets that response back, one with another body is a conflict.
//! The keys are kept in the database (`store::idempotency`), so they survive a restart and are
//! shared by every instance.
//!
//! What is kept is bounded ([`IdempotencyKeys`]): a sweep deletes the keys past the window, and
//! each wallet keeps its most recent keys only. A claim that takes a wallet past its bound
//! deletes the wallet's oldest keys, down to nine tenths of the bound, so that a trimming
//! statement runs once per tenth of the bound of new keys rather than on every claim. Evicting
//! rather than refusing new keys keeps a busy client trading; what it loses is the replay of a
//! key older than its bound's worth of newer keys, and a retry with such a key is processed
//! afresh, where every order it had placed is refused as `DUPLICATE_ORDER` by its hash: never a
//! second order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::idempotency::{insert_key, lock_key, reclaim_key};
use store::{Store, StoreError};
use types::{Timestamp, Wallet};

/// How long a key's response is replayed.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// A claim whose request never stored a response (the instance died mid-request) is given up
/// after this long, so the key does not stay unusable for a day.
pub const IN_FLIGHT_TIMEOUT_MS: i64 = 60 * 1000;

/// Keys a wallet keeps at most, unless configured otherwise.
pub const DEFAULT_KEYS_PER_WALLET: u32 = 10_000;

/// How often the sweep runs, unless configured otherwise; it also runs at start.
pub const DEFAULT_SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Expired keys deleted per statement by the sweep.
const PURGE_BATCH: u32 = 5_000;

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
    claim_counting(store, wallet, key, request_hash, now)
        .await
        .map(|(claim, _)| claim)
}

/// [`claim_key`], and whether the claim added a row (a key the wallet did not have).
async fn claim_counting(
    store: &Store,
    wallet: Wallet,
    key: &str,
    request_hash: &str,
    now: Timestamp,
) -> Result<(IdempotencyClaim, bool), StoreError> {
    let mut conn = store.write_connection().await?;
    let mut tx = conn.begin().await?;
    let (claim, added) = match decide_claim(&mut tx, wallet, key, request_hash, now).await {
        Ok(decided) => decided,
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
    Ok((claim, added))
}

async fn decide_claim(
    tx: &mut store::Tx<'_>,
    wallet: Wallet,
    key: &str,
    request_hash: &str,
    now: Timestamp,
) -> Result<(IdempotencyClaim, bool), StoreError> {
    if insert_key(tx, wallet, key, request_hash, now).await? {
        return Ok((IdempotencyClaim::Claimed, true));
    }
    let stored = lock_key(tx, wallet, key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("idempotency key {key:?} vanished")))?;
    let age = now.0.saturating_sub(stored.claimed_at.0);
    let expired = age >= IDEMPOTENCY_WINDOW_MS;
    let abandoned = stored.response.is_none() && age >= IN_FLIGHT_TIMEOUT_MS;
    if expired || abandoned {
        reclaim_key(tx, wallet, key, request_hash, now).await?;
        return Ok((IdempotencyClaim::Claimed, false));
    }
    let claim = if stored.request_hash != request_hash {
        IdempotencyClaim::Conflict
    } else {
        match stored.response {
            Some(r) => IdempotencyClaim::Replay(r),
            None => IdempotencyClaim::InFlight,
        }
    };
    Ok((claim, false))
}

/// Deletes the keys older than the replay window; returns how many.
pub async fn purge_expired_keys(store: &Store, now: Timestamp) -> Result<u64, StoreError> {
    let before = Timestamp(now.0.saturating_sub(IDEMPOTENCY_WINDOW_MS));
    let mut purged = 0;
    loop {
        let n = store.purge_idempotency_keys(before, PURGE_BATCH).await?;
        purged += n;
        if n < u64::from(PURGE_BATCH) {
            return Ok(purged);
        }
        // Between batches, the writes that queued behind this one go first.
        tokio::task::yield_now().await;
    }
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Keys past the replay window.
    pub expired: u64,
    /// Keys of wallets over their bound (claimed through other instances since the last sweep).
    pub trimmed: u64,
}

/// Every wallet's idempotency keys, bounded: claims count each wallet's keys, a claim past the
/// bound trims the wallet's oldest, and a sweep purges expired keys and recounts.
///
/// The counts are this instance's view: seeded from the database by the sweep (which also
/// runs at start), then kept by this instance's claims and releases. Keys that other
/// instances claim on a shared PostgreSQL are counted at the next sweep, which trims any wallet
/// then over its bound; between sweeps a wallet may hold up to the bound per instance.
pub struct IdempotencyKeys {
    store: Store,
    max_per_wallet: u32,
    counts: Mutex<HashMap<Wallet, u32>>,
}

impl IdempotencyKeys {
    /// At most `max_per_wallet` keys per wallet (at least 1).
    pub fn new(store: Store, max_per_wallet: u32) -> IdempotencyKeys {
        IdempotencyKeys {
            store,
            max_per_wallet: max_per_wallet.max(1),
            counts: Mutex::default(),
        }
    }

    /// What a trim keeps: nine tenths of the bound, at least 1 (the key just claimed).
    fn keep_after_trim(&self) -> u32 {
        (self.max_per_wallet - self.max_per_wallet / 10).max(1)
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<Wallet, u32>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// [`claim_key`], counting a new key against the wallet's bound.
    pub async fn claim(
        &self,
        wallet: Wallet,
        key: &str,
        request_hash: &str,
        now: Timestamp,
    ) -> Result<IdempotencyClaim, StoreError> {
        let (claim, added) = claim_counting(&self.store, wallet, key, request_hash, now).await?;
        if added {
            let over = {
                let mut counts = self.counts();
                let n = counts.entry(wallet).or_insert(0);
                *n = n.saturating_add(1);
                // Decided under the lock: concurrent claims of the wallet run one trim.
                let over = *n > self.max_per_wallet;
                if over {
                    *n = self.keep_after_trim();
                }
                over
            };
            if over {
                // Losing a trim only leaves the wallet over its bound until the next sweep.
                if let Err(e) = self
                    .store
                    .trim_idempotency_keys(wallet, self.keep_after_trim())
                    .await
                {
                    tracing::warn!(error = ?e, %wallet, "idempotency keys not trimmed");
                }
            }
        }
        Ok(claim)
    }

    /// Gives a claim back (its request failed without an answer worth replaying).
    pub async fn release(&self, wallet: Wallet, key: &str) -> Result<(), StoreError> {
        if self.store.release_idempotency_key(wallet, key).await? {
            if let Some(n) = self.counts().get_mut(&wallet) {
                *n = n.saturating_sub(1);
            }
        }
        Ok(())
    }

    /// Purges the keys past the replay window, recounts every wallet's keys and trims the
    /// wallets over their bound.
    pub async fn sweep(&self, now: Timestamp) -> Result<Swept, StoreError> {
        let expired = purge_expired_keys(&self.store, now).await?;
        let counted = self.store.idempotency_key_counts().await?;
        let keep = self.keep_after_trim();
        let mut counts = HashMap::with_capacity(counted.len());
        let mut trimmed = 0;
        for (wallet, n) in counted {
            let mut n = u32::try_from(n).unwrap_or(u32::MAX);
            if n > self.max_per_wallet {
                trimmed += self.store.trim_idempotency_keys(wallet, keep).await?;
                n = keep;
            }
            counts.insert(wallet, n);
        }
        // Claims made while this sweep counted are missed until the next one: the counts
        // only ever lag behind by what one interval claims.
        *self.counts() = counts;
        Ok(Swept { expired, trimmed })
    }

    /// Sweeps now and then every `every`, forever; a failed sweep is logged and retried at the
    /// next tick.
    pub async fn run_sweeper(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.sweep(Timestamp::now()).await {
                Ok(swept) if swept == Swept::default() => {
                    tracing::debug!("idempotency keys swept: none to delete")
                }
                Ok(swept) => tracing::info!(
                    expired = swept.expired,
                    trimmed = swept.trimmed,
                    "idempotency keys swept"
                ),
                Err(e) => tracing::warn!(error = ?e, "idempotency sweep failed"),
            }
        }
    }
}
