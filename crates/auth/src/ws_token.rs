//! WebSocket tokens (section 2.3): 256 random bits, base64url, single-use, 60 s, bound to a
//! wallet. Kept under the token's SHA-256 (in Redis with `SET NX EX`, consumed with `GETDEL`),
//! so a dump of the store holds no usable token. Without Redis, an in-process map with the same
//! semantics serves one instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use base64::Engine;
use rand::rngs::OsRng;
use rand::TryRngCore;
use redis::aio::MultiplexedConnection;
use types::{Secret, Wallet};

use crate::error::AuthError;

pub const TTL: Duration = Duration::from_secs(60);
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
const LOCAL_CAPACITY: usize = 100_000;

pub struct WsTokens {
    redis: Option<(
        redis::Client,
        tokio::sync::Mutex<Option<MultiplexedConnection>>,
    )>,
    local: Mutex<HashMap<String, (Wallet, Instant)>>,
}

fn storage_key(token: &str) -> String {
    let d = digest::digest(&digest::SHA256, token.as_bytes());
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("fs:ws-token:{hex}")
}

impl WsTokens {
    pub fn new(redis: Option<redis::Client>) -> WsTokens {
        WsTokens {
            redis: redis.map(|c| (c, tokio::sync::Mutex::new(None))),
            local: Mutex::new(HashMap::new()),
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

    /// A new token for `wallet`, valid once within [`TTL`].
    pub async fn issue(&self, wallet: Wallet) -> Result<Secret<String>, AuthError> {
        let mut bytes = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| AuthError::Rng)?;
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let key = storage_key(&token);
        match self.redis_conn().await? {
            Some(mut conn) => {
                let set = tokio::time::timeout(
                    REDIS_TIMEOUT,
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(wallet.to_string())
                        .arg("NX")
                        .arg("EX")
                        .arg(TTL.as_secs())
                        .query_async::<Option<String>>(&mut conn),
                )
                .await;
                match set {
                    Ok(Ok(Some(_))) => {}
                    // NX refused: a 256-bit collision; never expected.
                    Ok(Ok(None)) => return Err(AuthError::Rng),
                    Ok(Err(e)) => {
                        self.forget_conn().await;
                        return Err(AuthError::RedisUnavailable(e.to_string()));
                    }
                    Err(_) => {
                        self.forget_conn().await;
                        return Err(AuthError::RedisUnavailable("SET timed out".into()));
                    }
                }
            }
            None => {
                let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
                if local.len() >= LOCAL_CAPACITY {
                    local.retain(|_, (_, at)| at.elapsed() < TTL);
                }
                if local.len() >= LOCAL_CAPACITY {
                    return Err(AuthError::Throttled {
                        retry_after_secs: TTL.as_secs(),
                    });
                }
                local.insert(key, (wallet, Instant::now()));
            }
        }
        Ok(Secret::new(token))
    }

    /// The token's wallet, once: a used, unknown or expired token gives `None`.
    pub async fn consume(&self, token: &str) -> Result<Option<Wallet>, AuthError> {
        let key = storage_key(token);
        match self.redis_conn().await? {
            Some(mut conn) => {
                let got = tokio::time::timeout(
                    REDIS_TIMEOUT,
                    redis::cmd("GETDEL")
                        .arg(&key)
                        .query_async::<Option<String>>(&mut conn),
                )
                .await;
                match got {
                    Ok(Ok(v)) => Ok(v.and_then(|w| w.parse().ok())),
                    Ok(Err(e)) => {
                        self.forget_conn().await;
                        Err(AuthError::RedisUnavailable(e.to_string()))
                    }
                    Err(_) => {
                        self.forget_conn().await;
                        Err(AuthError::RedisUnavailable("GETDEL timed out".into()))
                    }
                }
            }
            None => {
                let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
                Ok(local
                    .remove(&key)
                    .filter(|(_, at)| at.elapsed() < TTL)
                    .map(|(w, _)| w))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_tokens_are_single_use() {
        let t = WsTokens::new(None);
        let token = t.issue(Wallet::ZERO).await.unwrap();
        assert_eq!(token.expose().len(), 43);
        assert!(t
            .local
            .lock()
            .unwrap()
            .keys()
            .all(|k| !k.contains(token.expose().as_str())));
        assert_eq!(t.consume(token.expose()).await.unwrap(), Some(Wallet::ZERO));
        assert_eq!(t.consume(token.expose()).await.unwrap(), None);
        assert_eq!(t.consume("nope").await.unwrap(), None);
    }
}
