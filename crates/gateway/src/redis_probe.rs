//! Whether Redis answers, for `/ready`. Keeps one multiplexed connection and reconnects after a failure.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

pub struct RedisProbe {
    client: redis::Client,
    conn: Mutex<Option<MultiplexedConnection>>,
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

impl RedisProbe {
    pub fn new(url: &str) -> Result<RedisProbe, redis::RedisError> {
        Ok(RedisProbe {
            client: redis::Client::open(url)?,
            conn: Mutex::new(None),
        })
    }

    pub async fn ping(&self) -> Result<(), String> {
        let mut slot = self.conn.lock().await;
        let result = tokio::time::timeout(PROBE_TIMEOUT, async {
            if slot.is_none() {
                *slot = Some(
                    self.client
                        .get_multiplexed_async_connection()
                        .await
                        .map_err(|e| e.to_string())?,
                );
            }
            let conn = slot.as_mut().ok_or("no connection")?;
            redis::cmd("PING")
                .query_async::<String>(conn)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<(), String>(())
        })
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()));
        if result.is_err() {
            *slot = None;
        }
        result
    }
}
