//! `last_used_at`, written in batches: requests note the time in memory; a task flushes every
//! [`FLUSH_EVERY`], so the stored value is at most that stale.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use store::Store;
use types::Timestamp;

pub const FLUSH_EVERY: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct LastUsed {
    pending: Mutex<HashMap<String, Timestamp>>,
}

impl LastUsed {
    pub fn touch(&self, key_id: &str, now: Timestamp) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        match pending.get_mut(key_id) {
            Some(t) => *t = (*t).max(now),
            None => {
                pending.insert(key_id.to_owned(), now);
            }
        }
    }

    /// A use not yet written, so readers can show it before the flush.
    pub fn pending(&self, key_id: &str) -> Option<Timestamp> {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.get(key_id).copied()
    }

    /// Writes what is pending; on failure it is kept for the next flush.
    pub async fn flush(&self, store: &Store) {
        let batch: Vec<(String, Timestamp)> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.drain().collect()
        };
        if batch.is_empty() {
            return;
        }
        if let Err(e) = store.touch_api_keys(&batch).await {
            tracing::warn!(error = ?e, keys = batch.len(), "could not record last_used_at; will retry");
            for (k, t) in batch {
                self.touch(&k, t);
            }
        }
    }
}
