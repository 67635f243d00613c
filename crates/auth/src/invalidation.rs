//! Cross-instance eviction of cached key pairs through Redis pub/sub.
//!
//! A change (PATCH, regenerate, revoke) evicts the key on this instance synchronously, then is
//! published on [`CHANNEL`] before the response is sent. Redis hands the message to every
//! subscriber before it acknowledges the publish, so the other instances evict it within
//! moments. An instance that is not subscribed does not use its key cache at all (see
//! `KeyCache::set_enabled`), so a missed message can never leave an old secret working.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::key_cache::KeyCache;

pub const CHANNEL: &str = "fs:auth:api-key-changed";
const TIMEOUT: Duration = Duration::from_secs(2);

pub struct Invalidator {
    redis: Option<redis::Client>,
}

impl Invalidator {
    pub fn new(redis_url: Option<&str>) -> Result<Invalidator, String> {
        let redis = redis_url
            .map(redis::Client::open)
            .transpose()
            .map_err(|e| format!("REDIS_URL: {e}"))?;
        Ok(Invalidator { redis })
    }

    pub fn redis_client(&self) -> Option<redis::Client> {
        self.redis.clone()
    }

    pub fn uses_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// Tells the other instances; a failure is logged (they are not subscribed either then,
    /// so their caches are off).
    pub async fn publish(&self, key_id: &str) {
        let Some(client) = &self.redis else { return };
        let result = tokio::time::timeout(TIMEOUT, async {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(key_id)
                .query_async::<i64>(&mut conn)
                .await
        })
        .await;
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, %key_id, "could not publish a key change"),
            Err(_) => tracing::warn!(%key_id, "publishing a key change timed out"),
        }
    }

    /// Runs forever: subscribes, evicts what arrives, and keeps `cache` off while unsubscribed.
    pub async fn run_subscriber(&self, cache: Arc<KeyCache>) {
        let Some(client) = &self.redis else { return };
        // Warn once per outage, not once per retry.
        let mut warned = false;
        loop {
            let failure = match client.get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                    Ok(()) => {
                        cache.set_enabled(true);
                        warned = false;
                        tracing::info!("subscribed to API key changes");
                        let mut messages = pubsub.on_message();
                        while let Some(msg) = messages.next().await {
                            match msg.get_payload::<String>() {
                                Ok(key_id) => cache.invalidate(&key_id),
                                Err(_) => cache.invalidate_all(),
                            }
                        }
                        "lost the Redis subscription".to_owned()
                    }
                    Err(e) => format!("Redis SUBSCRIBE failed: {e}"),
                },
                Err(e) => format!("Redis unreachable: {e}"),
            };
            cache.set_enabled(false);
            if !warned {
                tracing::warn!(error = %failure, "key cache off until the Redis subscription is back");
                warned = true;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
