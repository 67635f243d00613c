//! Every market in memory, pre-rendered, following the `markets` table.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use store::markets::{market_row_key_of, ChangedMarkets, MarketRecord};
use store::{Store, StoreError, UnreadableRow};
use types::{MarketKey, MarketStatus, Timestamp, TokenId};

use crate::views::market_prefix;

/// One market and its JSON rendered once per language.
pub struct MarketEntry {
    pub record: MarketRecord,
    default_prefix: String,
    translated_prefixes: Vec<(String, String)>,
}

impl MarketEntry {
    fn new(record: MarketRecord) -> MarketEntry {
        let default_prefix = market_prefix(&record, None);
        let translated_prefixes = record
            .translations
            .keys()
            .map(|lang| (lang.clone(), market_prefix(&record, Some(lang))))
            .collect();
        MarketEntry {
            record,
            default_prefix,
            translated_prefixes,
        }
    }

    pub fn key(&self) -> MarketKey {
        MarketKey {
            condition_id: self.record.condition_id,
            chain_id: self.record.chain_id,
        }
    }

    /// The unterminated market object in `language` when translated, else in the default text.
    /// Language tags are case-insensitive (RFC 5646); a market has a handful at most.
    pub fn prefix(&self, language: Option<&str>) -> &str {
        language
            .and_then(|l| {
                self.translated_prefixes
                    .iter()
                    .find(|(tag, _)| tag.eq_ignore_ascii_case(l))
                    .map(|(_, prefix)| prefix.as_str())
            })
            .unwrap_or(&self.default_prefix)
    }

    /// The list order: newest first, ties broken by key so the order is total.
    fn sort_key(&self) -> (std::cmp::Reverse<Timestamp>, std::cmp::Reverse<MarketKey>) {
        (
            std::cmp::Reverse(self.record.created_at),
            std::cmp::Reverse(self.key()),
        )
    }
}

#[derive(Default)]
struct Snapshot {
    by_key: HashMap<MarketKey, Arc<MarketEntry>>,
    by_token: HashMap<TokenId, MarketKey>,
    /// Newest first.
    ordered: Vec<Arc<MarketEntry>>,
    /// The greatest `updated_at` seen: where the next poll starts.
    high_water: Timestamp,
}

/// A position in the market list: the last market a page returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListPosition {
    pub created_at: Timestamp,
    pub key: MarketKey,
}

/// Changes from other instances are picked up by polling `updated_at`; this overlap covers
/// clock differences between instances and commits that land out of timestamp order.
const POLL_OVERLAP_MS: i64 = 5_000;

pub struct MarketCatalog {
    store: Store,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Rows of the table that did not read back, left out of the catalog (`/ready` lists them).
    unreadable: RwLock<Vec<UnreadableRow>>,
}

impl MarketCatalog {
    /// Loads every market that reads back; the others are logged and listed by
    /// [`MarketCatalog::unreadable`], never a reason not to start.
    pub async fn load(store: Store) -> Result<Arc<MarketCatalog>, StoreError> {
        let catalog = Arc::new(MarketCatalog {
            store,
            snapshot: RwLock::default(),
            unreadable: RwLock::default(),
        });
        catalog.refresh().await?;
        Ok(catalog)
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn get(&self, key: &MarketKey) -> Option<Arc<MarketEntry>> {
        let snapshot = self.snapshot.read().unwrap_or_else(|e| e.into_inner());
        snapshot.by_key.get(key).cloned()
    }

    /// Every market, newest first.
    pub fn records(&self) -> Vec<MarketRecord> {
        self.current()
            .ordered
            .iter()
            .map(|e| e.record.clone())
            .collect()
    }

    /// The market an outcome token belongs to.
    pub fn market_of_token(&self, token: &TokenId) -> Option<Arc<MarketEntry>> {
        let snapshot = self.snapshot.read().unwrap_or_else(|e| e.into_inner());
        snapshot
            .by_token
            .get(token)
            .and_then(|k| snapshot.by_key.get(k))
            .cloned()
    }

    /// Up to `limit` markets after `after` (newest first), filtered by status, and whether more follow.
    pub fn page(
        &self,
        status: Option<MarketStatus>,
        after: Option<ListPosition>,
        limit: usize,
    ) -> (Vec<Arc<MarketEntry>>, bool) {
        let snapshot = self.current();
        let start = match after {
            None => 0,
            Some(pos) => {
                let key = (
                    std::cmp::Reverse(pos.created_at),
                    std::cmp::Reverse(pos.key),
                );
                snapshot.ordered.partition_point(|e| e.sort_key() <= key)
            }
        };
        let mut matching = snapshot.ordered[start..]
            .iter()
            .filter(|e| status.is_none_or(|s| e.record.status == s));
        let page: Vec<_> = matching.by_ref().take(limit).cloned().collect();
        let has_more = page.len() == limit && matching.next().is_some();
        (page, has_more)
    }

    /// Applies records read from the database (or just written by this instance).
    pub fn apply(&self, records: Vec<MarketRecord>) {
        if records.is_empty() {
            return;
        }
        let mut guard = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let mut by_key = guard.by_key.clone();
        let mut by_token = guard.by_token.clone();
        let mut high_water = guard.high_water;
        for record in records {
            let current = by_key.get(&MarketKey {
                condition_id: record.condition_id,
                chain_id: record.chain_id,
            });
            // An older or identical copy (a poll racing a local write, or the poll overlap)
            // changes nothing.
            if current.is_some_and(|c| c.record.updated_at >= record.updated_at) {
                continue;
            }
            high_water = high_water.max(record.updated_at);
            let entry = Arc::new(MarketEntry::new(record));
            by_token.insert(entry.record.yes.token_id, entry.key());
            by_token.insert(entry.record.no.token_id, entry.key());
            by_key.insert(entry.key(), entry);
        }
        let mut ordered: Vec<_> = by_key.values().cloned().collect();
        ordered.sort_by_key(|e| e.sort_key());
        *guard = Arc::new(Snapshot {
            by_key,
            by_token,
            ordered,
            high_water,
        });
    }

    /// Reads markets changed since the last poll (with overlap) and applies them.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let high_water = self.current().high_water;
        let since = if high_water.0 == 0 {
            Timestamp(0)
        } else {
            Timestamp(high_water.0 - POLL_OVERLAP_MS)
        };
        let changed = self.store.markets_changed_since(since).await?;
        self.note_unreadable(&changed);
        self.apply(changed.markets);
        Ok(())
    }

    /// Rows left out because they do not read back, as found since start-up; one that reads
    /// again (repaired, with a newer `updated_at`) leaves the list.
    pub fn unreadable(&self) -> Vec<UnreadableRow> {
        self.unreadable
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Logs each newly unreadable row once (a poll's overlap reads recent rows again) and
    /// forgets those that now read.
    fn note_unreadable(&self, changed: &ChangedMarkets) {
        let mut known = self.unreadable.write().unwrap_or_else(|e| e.into_inner());
        if !known.is_empty() {
            let repaired: Vec<String> = changed.markets.iter().map(market_row_key_of).collect();
            known.retain(|row| !repaired.contains(&row.key));
        }
        for row in &changed.unreadable {
            if !known.iter().any(|k| k.key == row.key) {
                row.report();
                known.push(row.clone());
            }
        }
    }

    /// Polls for other instances' changes until the task is dropped.
    pub fn spawn_refresher(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let catalog = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = catalog.refresh().await {
                    tracing::warn!(error = ?e, "market catalog refresh failed; serving the last copy");
                }
            }
        })
    }
}
