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
    map: RwLock<HashMap<TokenDigest, CachedJwt>>,
    capacity: usize,
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
            map: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: &TokenDigest, now_secs: i64) -> Option<CachedJwt> {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|e| e.exp > now_secs).cloned()
    }

    pub fn insert(&self, key: TokenDigest, entry: CachedJwt, now_secs: i64) {
        if entry.exp <= now_secs {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, e| e.exp > now_secs);
            if map.len() >= self.capacity {
                // Still full of live tokens: drop the half that expires soonest.
                let mut exps: Vec<i64> = map.values().map(|e| e.exp).collect();
                exps.sort_unstable();
                let cut = exps[exps.len() / 2];
                map.retain(|_, e| e.exp > cut);
            }
        }
        map.insert(key, entry);
    }

    pub fn clear(&self) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|p| p.into_inner()).len()
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
        c.insert(k, entry(100), 50);
        assert!(c.get(&k, 99).is_some());
        assert!(c.get(&k, 100).is_none());
        for i in 0..20 {
            c.insert(digest_of(&i.to_string(), None), entry(200 + i), 50);
            assert!(c.len() <= 4);
        }
        assert!(c.get(&digest_of("19", None), 50).is_some());
    }
}
