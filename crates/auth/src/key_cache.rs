//! Verified key pairs: what a key id stands for (wallet, permissions, secret hash, state), so a
//! busy client costs one HMAC and one lookup per request, not a database read.
//!
//! Invalidation is immediate: a change on this instance evicts synchronously; other instances
//! evict when Redis delivers the change (see `invalidation`). While this instance is not
//! subscribed (Redis configured but unreachable) the cache is off and every request reads the
//! database. A generation counter stops a read that raced an eviction from re-inserting stale data.
//! Entries also expire after a TTL, as a backstop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use types::{Timestamp, Wallet};

use crate::api_key::SecretHash;
use crate::permissions::Permissions;

#[derive(Debug)]
pub struct CachedKey {
    pub wallet: Wallet,
    pub permissions: Permissions,
    pub secret_hash: SecretHash,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
    loaded_at: Instant,
}

impl CachedKey {
    pub fn new(
        wallet: Wallet,
        permissions: Permissions,
        secret_hash: SecretHash,
        expires_at: Option<Timestamp>,
        revoked: bool,
    ) -> CachedKey {
        CachedKey {
            wallet,
            permissions,
            secret_hash,
            expires_at,
            revoked,
            loaded_at: Instant::now(),
        }
    }
}

pub struct KeyCache {
    map: RwLock<HashMap<String, Arc<CachedKey>>>,
    generation: AtomicU64,
    enabled: AtomicBool,
    ttl: Duration,
    capacity: usize,
}

impl KeyCache {
    pub fn new(ttl: Duration, capacity: usize, enabled: bool) -> KeyCache {
        KeyCache {
            map: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            enabled: AtomicBool::new(enabled),
            ttl,
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key_id: &str) -> Option<Arc<CachedKey>> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.get(key_id)
            .filter(|e| e.loaded_at.elapsed() < self.ttl)
            .cloned()
    }

    /// Read before loading from the database; pass it back to [`KeyCache::insert_if_current`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `entry` unless an eviction happened since `generation` was read.
    pub fn insert_if_current(&self, key_id: &str, entry: Arc<CachedKey>, generation: u64) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != generation
            || !self.enabled.load(Ordering::Acquire)
        {
            return;
        }
        if map.len() >= self.capacity && !map.contains_key(key_id) {
            let ttl = self.ttl;
            map.retain(|_, e| e.loaded_at.elapsed() < ttl);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(key_id.to_owned(), entry);
    }

    pub fn invalidate(&self, key_id: &str) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.remove(key_id);
    }

    pub fn invalidate_all(&self) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.clear();
    }

    /// Off while cross-instance invalidation cannot be guaranteed; turning it on starts empty.
    pub fn set_enabled(&self, on: bool) {
        self.invalidate_all();
        self.enabled.store(on, Ordering::Release);
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Arc<CachedKey> {
        Arc::new(CachedKey::new(
            Wallet::ZERO,
            Permissions::DEFAULT,
            [0; 32],
            None,
            false,
        ))
    }

    #[test]
    fn an_eviction_during_a_load_wins_over_the_stale_insert() {
        let c = KeyCache::new(Duration::from_secs(60), 10, true);
        let g = c.generation();
        c.invalidate("k");
        c.insert_if_current("k", entry(), g);
        assert!(c.get("k").is_none());
        let g = c.generation();
        c.insert_if_current("k", entry(), g);
        assert!(c.get("k").is_some());
        c.invalidate("k");
        assert!(c.get("k").is_none());
    }

    #[test]
    fn a_disabled_cache_and_an_expired_entry_miss() {
        let c = KeyCache::new(Duration::from_secs(60), 10, false);
        c.insert_if_current("k", entry(), c.generation());
        assert!(c.get("k").is_none());
        c.set_enabled(true);
        c.insert_if_current("k", entry(), c.generation());
        assert!(c.get("k").is_some());
        let short = KeyCache::new(Duration::ZERO, 10, true);
        short.insert_if_current("k", entry(), short.generation());
        assert!(short.get("k").is_none());
    }
}
