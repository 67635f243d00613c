//! WebSocket tokens (docs/api.md 5): 256 random bits, base64url, single-use, 60 s, bound to a
//! wallet, at most [`MAX_LIVE_WS_TOKENS`] live per wallet. Kept under the token's SHA-256, so a
//! dump of the store holds no usable token. Without Redis, an in-process map with the same
//! semantics serves one instance.
//!
//! The per-wallet cap keeps one user from filling the store that every user shares: a token is
//! live until it is used or expires, and a wallet with the cap reached is told how long until
//! its oldest token expires (`Retry-After`).
//!
//! In Redis a token is `fs:ws-token:<sha256 hex>` → wallet (`SET NX PX`), and each wallet has a
//! sorted set `fs:ws-tokens:<wallet>` of its tokens' keys scored by expiry (ms, Redis's clock).
//! Issuing runs one script: drop the set's expired members, check its size against the cap, set
//! the token, add it to the set and extend the set's expiry, atomically, so concurrent requests
//! (on any instance) cannot pass the cap together. Consuming runs one script too: `GETDEL` the
//! token, then remove it from its wallet's set, whose key the script derives from the wallet it
//! read; that key is undeclared, which standalone Redis (the only kind this client speaks to)
//! allows and Redis Cluster would not.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use base64::Engine;
use hashlink::LinkedHashMap;
use rand::rngs::OsRng;
use rand::TryRngCore;
use redis::aio::MultiplexedConnection;
use types::{Secret, Wallet};

use crate::error::AuthError;
pub use crate::error::MAX_LIVE_WS_TOKENS;

pub const TTL: Duration = Duration::from_secs(60);
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
/// Live tokens the in-process store holds across all wallets.
const LOCAL_CAPACITY: usize = 100_000;
const WALLET_SET_PREFIX: &str = "fs:ws-tokens:";

/// KEYS: the token's key, the wallet's set. ARGV: the wallet, the TTL in ms, the cap.
/// Returns 0 when issued, -1 when the token's key exists (a collision), else the ms until the
/// wallet's oldest live token expires.
const ISSUE_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) - now, 1)
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ttl) then
  return -1
end
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
redis.call('PEXPIRE', KEYS[2], ttl)
return 0
";

/// KEYS: the token's key. ARGV: the prefix of a wallet's set. Returns the wallet, or nil.
const CONSUME_SCRIPT: &str = r"
local wallet = redis.call('GETDEL', KEYS[1])
if wallet then
  redis.call('ZREM', ARGV[1] .. wallet, KEYS[1])
end
return wallet
";

pub struct WsTokens {
    redis: Option<(
        redis::Client,
        tokio::sync::Mutex<Option<MultiplexedConnection>>,
    )>,
    local: Mutex<Local>,
}

fn storage_key(token: &str) -> String {
    let d = digest::digest(&digest::SHA256, token.as_bytes());
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("fs:ws-token:{hex}")
}

/// Whole seconds until a token issued at `issued` expires, at least 1.
fn secs_left(issued: Instant, now: Instant) -> u64 {
    let left = TTL.saturating_sub(now.saturating_duration_since(issued));
    (left.as_secs_f64().ceil() as u64).max(1)
}

impl WsTokens {
    pub fn new(redis: Option<redis::Client>) -> WsTokens {
        WsTokens {
            redis: redis.map(|c| (c, tokio::sync::Mutex::new(None))),
            local: Mutex::new(Local::new(LOCAL_CAPACITY)),
        }
    }

    async fn redis_conn(&self) -> Result<Option<MultiplexedConnection>, AuthError> {
        let Some((client, slot)) = &self.redis else {
            return Ok(None);
        };
        let mut slot = slot.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(Some(c.clone()));
        }
        let conn = tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection())
            .await
            .map_err(|_| AuthError::RedisUnavailable("connect timed out".into()))?
            .map_err(|e| AuthError::RedisUnavailable(e.to_string()))?;
        *slot = Some(conn.clone());
        Ok(Some(conn))
    }

    async fn forget_conn(&self) {
        if let Some((_, slot)) = &self.redis {
            *slot.lock().await = None;
        }
    }

    /// Runs `cmd` with the timeout; a failed connection is dropped so the next call reconnects.
    async fn query<T: redis::FromRedisValue>(
        &self,
        mut conn: MultiplexedConnection,
        cmd: redis::Cmd,
    ) -> Result<T, AuthError> {
        match tokio::time::timeout(REDIS_TIMEOUT, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                self.forget_conn().await;
                Err(AuthError::RedisUnavailable(e.to_string()))
            }
            Err(_) => {
                self.forget_conn().await;
                Err(AuthError::RedisUnavailable("Redis timed out".into()))
            }
        }
    }

    /// A new token for `wallet`, valid once within [`TTL`]; refused while the wallet holds
    /// [`MAX_LIVE_WS_TOKENS`] live ones.
    pub async fn issue(&self, wallet: Wallet) -> Result<Secret<String>, AuthError> {
        let mut bytes = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| AuthError::Rng)?;
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let key = storage_key(&token);
        match self.redis_conn().await? {
            Some(conn) => {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(ISSUE_SCRIPT)
                    .arg(2)
                    .arg(&key)
                    .arg(format!("{WALLET_SET_PREFIX}{wallet}"))
                    .arg(wallet.to_string())
                    .arg(TTL.as_millis() as u64)
                    .arg(MAX_LIVE_WS_TOKENS);
                match self.query::<i64>(conn, cmd).await? {
                    0 => {}
                    // NX refused: a 256-bit collision; never expected.
                    -1 => return Err(AuthError::Rng),
                    wait_ms => {
                        return Err(AuthError::WsTokenLimit {
                            retry_after_secs: u64::try_from(wait_ms).unwrap_or(1).div_ceil(1000),
                        })
                    }
                }
            }
            None => self.local.lock().unwrap_or_else(|p| p.into_inner()).issue(
                wallet,
                key,
                Instant::now(),
            )?,
        }
        Ok(Secret::new(token))
    }

    /// The token's wallet, once: a used, unknown or expired token gives `None`. A used token no
    /// longer counts towards its wallet's cap.
    pub async fn consume(&self, token: &str) -> Result<Option<Wallet>, AuthError> {
        let key = storage_key(token);
        match self.redis_conn().await? {
            Some(conn) => {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(CONSUME_SCRIPT)
                    .arg(1)
                    .arg(&key)
                    .arg(WALLET_SET_PREFIX);
                let wallet = self.query::<Option<String>>(conn, cmd).await?;
                Ok(wallet.and_then(|w| w.parse().ok()))
            }
            None => Ok(self
                .local
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .consume(&key, Instant::now())),
        }
    }
}

/// The in-process store: every live token in order of issue, and each wallet's, oldest first.
/// Expired tokens leave from the front whenever the store is touched.
struct Local {
    tokens: LinkedHashMap<String, (Wallet, Instant)>,
    by_wallet: HashMap<Wallet, VecDeque<String>>,
    capacity: usize,
}

impl Local {
    fn new(capacity: usize) -> Local {
        Local {
            tokens: LinkedHashMap::new(),
            by_wallet: HashMap::new(),
            capacity,
        }
    }

    fn issue(&mut self, wallet: Wallet, key: String, now: Instant) -> Result<(), AuthError> {
        self.drop_expired(now);
        if let Some(live) = self.by_wallet.get(&wallet) {
            if live.len() >= MAX_LIVE_WS_TOKENS as usize {
                let oldest = live.front().and_then(|k| self.tokens.get(k));
                return Err(AuthError::WsTokenLimit {
                    retry_after_secs: oldest.map_or(1, |(_, at)| secs_left(*at, now)),
                });
            }
        }
        if self.tokens.len() >= self.capacity {
            return Err(AuthError::WsTokensExhausted {
                retry_after_secs: self
                    .tokens
                    .front()
                    .map_or(1, |(_, (_, at))| secs_left(*at, now)),
            });
        }
        self.by_wallet
            .entry(wallet)
            .or_default()
            .push_back(key.clone());
        self.tokens.insert(key, (wallet, now));
        Ok(())
    }

    fn consume(&mut self, key: &str, now: Instant) -> Option<Wallet> {
        self.drop_expired(now);
        let (wallet, _) = self.tokens.remove(key)?;
        self.forget(wallet, key);
        Some(wallet)
    }

    fn drop_expired(&mut self, now: Instant) {
        while let Some((_, (_, at))) = self.tokens.front() {
            if now.saturating_duration_since(*at) < TTL {
                return;
            }
            if let Some((key, (wallet, _))) = self.tokens.pop_front() {
                self.forget(wallet, &key);
            }
        }
    }

    fn forget(&mut self, wallet: Wallet, key: &str) {
        if let Some(live) = self.by_wallet.get_mut(&wallet) {
            live.retain(|k| k != key);
            if live.is_empty() {
                self.by_wallet.remove(&wallet);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wallet(n: u8) -> Wallet {
        format!("0x{n:040x}").parse().unwrap()
    }

    #[tokio::test]
    async fn in_process_tokens_are_single_use() {
        let t = WsTokens::new(None);
        let token = t.issue(Wallet::ZERO).await.unwrap();
        assert_eq!(token.expose().len(), 43);
        assert!(t
            .local
            .lock()
            .unwrap()
            .tokens
            .keys()
            .all(|k| !k.contains(token.expose().as_str())));
        assert_eq!(t.consume(token.expose()).await.unwrap(), Some(Wallet::ZERO));
        assert_eq!(t.consume(token.expose()).await.unwrap(), None);
        assert_eq!(t.consume("nope").await.unwrap(), None);
    }

    #[test]
    fn a_wallet_holds_at_most_the_cap_and_a_used_or_expired_token_frees_a_slot() {
        let mut local = Local::new(1_000);
        let start = Instant::now();
        let (a, b) = (wallet(1), wallet(2));
        for n in 0..MAX_LIVE_WS_TOKENS {
            let at = start + Duration::from_secs(u64::from(n));
            local.issue(a, format!("a{n}"), at).unwrap();
        }
        // The oldest was issued 19 s before: it expires 41 s later.
        let now = start + Duration::from_secs(19);
        match local.issue(a, "a-over".into(), now) {
            Err(AuthError::WsTokenLimit { retry_after_secs }) => assert_eq!(retry_after_secs, 41),
            other => panic!("expected the cap, got {other:?}"),
        }
        local.issue(b, "b0".into(), now).unwrap();
        // Using one frees its slot.
        assert_eq!(local.consume("a5", now), Some(a));
        local.issue(a, "a-after-use".into(), now).unwrap();
        assert!(local.issue(a, "a-over".into(), now).is_err());
        // The oldest expiring frees its slot; the expired token is no longer usable.
        let later = start + TTL;
        local.issue(a, "a-after-expiry".into(), later).unwrap();
        assert_eq!(local.consume("a0", later), None);
        assert_eq!(local.by_wallet[&a].len(), MAX_LIVE_WS_TOKENS as usize);
    }

    #[test]
    fn the_store_never_holds_expired_entries_past_a_touch_and_its_bound_is_not_about_auth() {
        let mut local = Local::new(3);
        let start = Instant::now();
        for n in 0..3 {
            local.issue(wallet(n), format!("k{n}"), start).unwrap();
        }
        let err = local.issue(wallet(9), "k9".into(), start).unwrap_err();
        assert!(
            matches!(err, AuthError::WsTokensExhausted { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("authentication"), "{err}");
        local.issue(wallet(9), "k9".into(), start + TTL).unwrap();
        assert_eq!(local.tokens.len(), 1);
        assert_eq!(local.by_wallet.len(), 1);
    }

    /// Redis from `REDIS_URL` (default the local one); fails the test when it is unreachable.
    fn redis_tokens() -> WsTokens {
        let url = test_support::require_redis();
        WsTokens::new(Some(redis::Client::open(url).expect("a Redis URL")))
    }

    #[tokio::test]
    #[ignore = "needs Redis"]
    async fn redis_tokens_are_capped_per_wallet_and_a_used_token_frees_its_slot() {
        let t = redis_tokens();
        // A wallet of its own in every run: tokens of earlier runs live on in Redis for 60 s.
        let (a, b) = (
            wallet_of(rand::random()),
            wallet_of(rand::random::<[u8; 20]>()),
        );
        let mut issued = Vec::new();
        for _ in 0..MAX_LIVE_WS_TOKENS {
            issued.push(t.issue(a).await.unwrap());
        }
        match t.issue(a).await {
            Err(AuthError::WsTokenLimit { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("expected the cap, got {other:?}"),
        }
        t.issue(b).await.unwrap();
        assert_eq!(t.consume(issued[3].expose()).await.unwrap(), Some(a));
        assert_eq!(t.consume(issued[3].expose()).await.unwrap(), None);
        t.issue(a).await.unwrap();
        assert!(matches!(
            t.issue(a).await,
            Err(AuthError::WsTokenLimit { .. })
        ));
    }

    fn wallet_of(bytes: [u8; 20]) -> Wallet {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("0x{hex}").parse().unwrap()
    }
}
