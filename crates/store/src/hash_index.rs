//! The embedded store's index of order hashes, kept in memory instead of in the SQLite file.
//!
//! A B-tree keyed by the hash put every accepted order in a random leaf, so each one cost SQLite
//! a page written to the WAL and copied again by a checkpoint, the largest cost of its writer
//! (docs/orders.md, "The embedded store's hash index"). The embedded store serves one
//! process, so that process keeps hash → rowid itself: loaded from the table when the store
//! opens, extended after each commit that inserts orders, and guarded by an exclusive lock on
//! `<database>.lock` so that no second process writes behind its back. PostgreSQL keeps its
//! primary key: several instances share one database.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, RwLock};

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};
use types::OrderHash;

use crate::error::{parse_col, StoreError, UnreadableRow};
use crate::Store;

/// Rows read per statement while the index loads.
const LOAD_PAGE: i64 = 50_000;

pub(crate) struct HashIndex {
    rows: RwLock<HashMap<OrderHash, i64>>,
    /// The rowid the next inserted order gets: inserts name their rows (`allocate_rows`)
    /// instead of reading back the ones SQLite picked, which cost a row per order through sqlx.
    /// A rolled-back insert leaves a gap; rowids are never reused.
    next_row: AtomicI64,
    /// The lock on `<database>.lock`; `None` once released (or for a database without a file).
    lock: Mutex<Option<File>>,
    /// Rows the load skipped: their order cannot be found by hash.
    unreadable: Vec<UnreadableRow>,
}

impl std::fmt::Debug for HashIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashIndex").finish_non_exhaustive()
    }
}

impl HashIndex {
    /// Reads every stored order's hash and row; `lock` is the database's, from
    /// [`lock_exclusively`], held until [`HashIndex::release`].
    pub(crate) async fn load(pool: &AnyPool, lock: Option<File>) -> Result<Self, StoreError> {
        let mut rows = HashMap::new();
        let mut unreadable = Vec::new();
        let mut after = 0i64;
        loop {
            let page = sqlx::query(
                "SELECT rowid AS row_id, order_hash FROM orders WHERE rowid > $1 \
                 ORDER BY rowid LIMIT $2",
            )
            .bind(after)
            .bind(LOAD_PAGE)
            .fetch_all(pool)
            .await?;
            for row in &page {
                // Every row counts for `next_row`, read or not: a rowid is never reused.
                after = row.try_get("row_id")?;
                let hash = row
                    .try_get::<String, _>("order_hash")
                    .map_err(StoreError::from)
                    .and_then(|h| parse_col::<OrderHash>(&h, "order_hash"));
                let skipped = match hash {
                    Ok(hash) if rows.contains_key(&hash) => {
                        StoreError::Corrupt(format!("order {hash} is stored twice"))
                    }
                    Ok(hash) => {
                        rows.insert(hash, after);
                        continue;
                    }
                    Err(e) => e,
                };
                let row = UnreadableRow::new("orders", format!("rowid={after}"), &skipped);
                row.report();
                unreadable.push(row);
            }
            if (page.len() as i64) < LOAD_PAGE {
                break;
            }
        }
        Ok(HashIndex {
            rows: RwLock::new(rows),
            next_row: AtomicI64::new(after + 1),
            lock: Mutex::new(lock),
            unreadable,
        })
    }

    /// The rows the load skipped.
    pub(crate) fn unreadable(&self) -> &[UnreadableRow] {
        &self.unreadable
    }

    /// `count` fresh rowids, from the returned one on.
    pub(crate) fn allocate_rows(&self, count: usize) -> i64 {
        self.next_row.fetch_add(count as i64, Ordering::Relaxed)
    }

    pub(crate) fn row(&self, hash: &OrderHash) -> Option<i64> {
        self.read().get(hash).copied()
    }

    pub(crate) fn contains(&self, hash: &OrderHash) -> bool {
        self.read().contains_key(hash)
    }

    /// Which of `hashes` are stored, under one read of the lock.
    pub(crate) fn stored_among(
        &self,
        hashes: impl IntoIterator<Item = OrderHash>,
    ) -> HashSet<OrderHash> {
        let rows = self.read();
        hashes
            .into_iter()
            .filter(|h| rows.contains_key(h))
            .collect()
    }

    /// Adds what a transaction inserted, once it has committed.
    pub(crate) fn extend(&self, inserted: Inserted) {
        if inserted.0.is_empty() {
            return;
        }
        self.rows
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend(inserted.0);
    }

    /// Lets another process open the database (after the store's pools are closed).
    pub(crate) fn release(&self) {
        let file = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(file) = file {
            // Closing the file releases the lock too; unlocking first says so explicitly.
            let _ = file.unlock();
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<OrderHash, i64>> {
        // A writer that panicked mid-extend leaves entries of a committed transaction: still true.
        self.rows
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Locks `<database>.lock` for this process, or says that another process holds it.
pub(crate) fn lock_exclusively(database: &Path) -> Result<File, StoreError> {
    let mut path = database.as_os_str().to_owned();
    path.push(".lock");
    let path = Path::new(&path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| StoreError::Lock {
            path: path.display().to_string(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::InUse(database.display().to_string())),
        Err(TryLockError::Error(source)) => Err(StoreError::Lock {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The hashes a transaction inserted on SQLite, with their rows: added to the index by
/// [`HashIndex::extend`] once the transaction commits, dropped if it does not.
#[derive(Debug, Default)]
pub(crate) struct Inserted(Vec<(OrderHash, i64)>);

impl Inserted {
    pub(crate) fn push(&mut self, hash: OrderHash, row: i64) {
        self.0.push((hash, row));
    }

    pub(crate) fn contains(&self, hash: &OrderHash) -> bool {
        self.0.iter().any(|(h, _)| h == hash)
    }
}

/// How a statement names one stored order: by hash on PostgreSQL, by rowid on SQLite.
pub(crate) enum OrderKey {
    Hash(String),
    Row(i64),
}

impl OrderKey {
    /// The column the key is a value of.
    pub(crate) fn column(&self) -> &'static str {
        match self {
            OrderKey::Hash(_) => "order_hash",
            OrderKey::Row(_) => "rowid",
        }
    }

    /// `column = <placeholder>`, the column being the key's.
    pub(crate) fn condition(&self, placeholder: &str) -> String {
        format!("{} = {placeholder}", self.column())
    }

    pub(crate) fn bind<'q>(
        &'q self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        match self {
            OrderKey::Hash(hash) => query.bind(hash.as_str()),
            OrderKey::Row(row) => query.bind(*row),
        }
    }
}

impl Store {
    /// Rows the store's own start-up load skipped (the embedded store's hash index); the
    /// market catalog keeps its own.
    pub fn unreadable_rows(&self) -> &[UnreadableRow] {
        self.hash_index().map_or(&[], HashIndex::unreadable)
    }

    /// The key of the stored order with this hash; `None` when the embedded store has none
    /// (on PostgreSQL the statement itself finds out).
    pub(crate) fn order_key(&self, hash: &OrderHash) -> Option<OrderKey> {
        order_key(self.hash_index(), hash)
    }
}

/// [`Store::order_key`], from the hash index alone (a transaction holds it).
pub(crate) fn order_key(index: Option<&HashIndex>, hash: &OrderHash) -> Option<OrderKey> {
    match index {
        None => Some(OrderKey::Hash(hash.to_string())),
        Some(index) => index.row(hash).map(OrderKey::Row),
    }
}

/// A rowid no order has: rowids are allocated from 1 up.
const NO_ROW: i64 = -1;

/// The key of the order with this hash, or, for a hash the embedded store does not hold, a key
/// that names no row. A lookup of one wallet's order then runs the same statement whether the
/// hash is unknown or another wallet's, and both miss in the database the same way: skipping
/// the statement for an unknown hash made the two answers measurably different in time, and
/// so told a caller which hashes exist (docs/api.md 1.4: the two are "never told apart").
pub(crate) fn order_key_or_no_row(index: Option<&HashIndex>, hash: &OrderHash) -> OrderKey {
    match index {
        None => OrderKey::Hash(hash.to_string()),
        Some(index) => OrderKey::Row(index.row(hash).unwrap_or(NO_ROW)),
    }
}
