//! Verified JWTs, keyed by the SHA-256 of the token(s) presented: a token seen before costs one
//! hash and one lookup instead of a signature check. Bounded; an entry dies at the token's `exp`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::digest;
use types::Wallet;

pub type TokenDigest = [u8; 32];

#[derive(Clone, Debug)]
pub struct CachedJwt {
    pub sub: Arc<str>,
    pub wallet: Wallet,
    /// Unix seconds: the earliest `exp` of the tokens behind this entry.
    pub exp: i64,
}

pub struct JwtCache {
    inner: RwLock<Entries>,
    capacity: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<TokenDigest, CachedJwt>,
    /// Each user's entries, so that a change of the user's wallet drops them without a scan.
    by_sub: HashMap<Arc<str>, Vec<TokenDigest>>,
    /// Bumped by every [`JwtCache::forget_user`]: a verification that resolved its wallet
    /// before a rebinding does not cache that wallet after it.
    generation: u64,
}

impl Entries {
    /// Keeps the entries `keep` accepts, and the per-user lists in step.
    fn retain(&mut self, keep: impl Fn(&CachedJwt) -> bool) {
        self.map.retain(|_, e| keep(e));
        let map = &self.map;
        self.by_sub.retain(|_, digests| {
            digests.retain(|d| map.contains_key(d));
            !digests.is_empty()
        });
    }
}

/// The cache key of a bearer token and the identity token sent with it, if any.
pub fn digest_of(bearer: &str, id_token: Option<&str>) -> TokenDigest {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(bearer.as_bytes());
    if let Some(id) = id_token {
        ctx.update(b"\0");
        ctx.update(id.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

impl JwtCache {
    pub fn new(capacity: usize) -> JwtCache {
        JwtCache {
            inner: RwLock::new(Entries::default()),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: &TokenDigest, now_secs: i64) -> Option<CachedJwt> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner.map.get(key).filter(|e| e.exp > now_secs).cloned()
    }

    /// What [`JwtCache::insert`] is given back: read it before resolving the wallet.
    pub fn generation(&self) -> u64 {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .generation
    }

    /// Caches `entry` unless a user was forgotten since `generation` was read (rare: only a
    /// wallet rebinding forgets, and the next verification caches again).
    pub fn insert(&self, key: TokenDigest, entry: CachedJwt, now_secs: i64, generation: u64) {
        if entry.exp <= now_secs {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if inner.generation != generation {
            return;
        }
        if inner.map.len() >= self.capacity && !inner.map.contains_key(&key) {
            inner.retain(|e| e.exp > now_secs);
            if inner.map.len() >= self.capacity {
                // Still full of live tokens: drop the half that expires soonest.
                let mut exps: Vec<i64> = inner.map.values().map(|e| e.exp).collect();
                exps.sort_unstable();
                let cut = exps[exps.len() / 2];
                inner.retain(|e| e.exp > cut);
            }
        }
        let digests = inner.by_sub.entry(entry.sub.clone()).or_default();
        if !digests.contains(&key) {
            digests.push(key);
        }
        inner.map.insert(key, entry);
    }

    /// Drops every entry of the user: their wallet binding changed, and a token resolved
    /// through the old one must act as the new wallet from the next request (docs/api.md 2.2).
    pub fn forget_user(&self, sub: &str) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        inner.generation += 1;
        if let Some(digests) = inner.by_sub.remove(sub) {
            for d in digests {
                inner.map.remove(&d);
            }
        }
    }

    pub fn clear(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        inner.map.clear();
        inner.by_sub.clear();
    }

    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(exp: i64) -> CachedJwt {
        CachedJwt {
            sub: "did:privy:a".into(),
            wallet: Wallet::ZERO,
            exp,
        }
    }

    #[test]
    fn entries_die_at_exp_and_the_cache_stays_bounded() {
        let c = JwtCache::new(4);
        let k = digest_of("a", None);
        assert_ne!(k, digest_of("a", Some("")));
        c.insert(k, entry(100), 50, c.generation());
        assert!(c.get(&k, 99).is_some());
        assert!(c.get(&k, 100).is_none());
        for i in 0..20 {
            c.insert(
                digest_of(&i.to_string(), None),
                entry(200 + i),
                50,
                c.generation(),
            );
            assert!(c.len() <= 4);
        }
        assert!(c.get(&digest_of("19", None), 50).is_some());
        let inner = c.inner.read().unwrap();
        let listed: usize = inner.by_sub.values().map(Vec::len).sum();
        assert_eq!(
            listed,
            inner.map.len(),
            "the per-user lists follow the evictions"
        );
    }

    #[test]
    fn forgetting_a_user_drops_all_their_entries_and_no_one_elses() {
        let c = JwtCache::new(100);
        let of = |sub: &str, wallet: u8| CachedJwt {
            sub: sub.into(),
            wallet: Wallet(types::Address::repeat_byte(wallet)),
            exp: 1_000,
        };
        let before = c.generation();
        c.insert(digest_of("a1", None), of("did:privy:a", 1), 0, before);
        c.insert(digest_of("a1", Some("id")), of("did:privy:a", 1), 0, before);
        c.insert(digest_of("b1", None), of("did:privy:b", 2), 0, before);
        c.forget_user("did:privy:a");
        // A verification that started before the rebinding does not cache its old wallet.
        c.insert(digest_of("a2", None), of("did:privy:a", 1), 0, before);
        assert!(c.get(&digest_of("a2", None), 0).is_none());
        assert!(c.get(&digest_of("a1", None), 0).is_none());
        assert!(c.get(&digest_of("a1", Some("id")), 0).is_none());
        assert!(c.get(&digest_of("b1", None), 0).is_some());
        c.forget_user("did:privy:nobody");
        assert_eq!(c.len(), 1);
        // The user's next verified token is cached again.
        c.insert(
            digest_of("a1", None),
            of("did:privy:a", 3),
            0,
            c.generation(),
        );
        assert_eq!(
            c.get(&digest_of("a1", None), 0).unwrap().wallet,
            of("", 3).wallet
        );
    }
}
