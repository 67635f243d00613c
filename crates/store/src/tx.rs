//! The write transaction every storage function that changes rows takes, so that a caller
//! composes its own unit of work (an acceptance group, a cancel, a matcher's batch) and commits
//! it once, as crates.io's storage functions take a connection.

use std::collections::BTreeMap;

use sqlx::{Any, Transaction};
use types::Wallet;

use crate::balance_hints::BalanceHints;
use crate::dialect::Backend;
use crate::error::StoreError;
use crate::hash_index::{HashIndex, Inserted};
use crate::Store;
use types::balance::{Asset, Balance};

/// A transaction on the store's write connection ([`crate::WriteConnection::begin`]).
///
/// Besides the database transaction it carries what the store's in-memory views learn from
/// it, applied only once it commits: the embedded store's new order rows (its hash index) and
/// every balance it locked or wrote (the balance hints of optimistic acceptance).
pub struct Tx<'c> {
    pub(crate) inner: Transaction<'c, Any>,
    backend: Backend,
    index: Option<&'c HashIndex>,
    pub(crate) inserted: Inserted,
    hints: &'c BalanceHints,
    balances: BTreeMap<(Wallet, Asset), Balance>,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(inner: Transaction<'c, Any>, store: &'c Store) -> Tx<'c> {
        Tx {
            inner,
            backend: store.backend(),
            index: store.hash_index(),
            inserted: Inserted::default(),
            hints: &store.hints,
            balances: BTreeMap::new(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The embedded store's hash index; `None` on PostgreSQL.
    pub(crate) fn hash_index(&self) -> Option<&'c HashIndex> {
        self.index
    }

    /// Notes what a balance holds once this transaction commits (read under its lock, or
    /// written by it).
    pub(crate) fn note_balance(&mut self, pair: (Wallet, Asset), balance: Balance) {
        self.balances.insert(pair, balance);
    }

    /// Commits, then lets the in-memory views learn what it wrote.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.inner.commit().await?;
        if let Some(index) = self.index {
            index.extend(self.inserted);
        }
        self.hints.record(&self.balances);
        Ok(())
    }

    /// Commits when the work succeeded, rolls back when it failed; either way the work's result.
    pub async fn finish<T, E: From<StoreError>>(self, result: Result<T, E>) -> Result<T, E> {
        match result {
            Ok(value) => {
                self.commit().await?;
                Ok(value)
            }
            Err(e) => {
                self.rollback().await;
                Err(e)
            }
        }
    }

    /// Undoes everything; a failure to roll back is logged (the connection's own rollback on
    /// drop, or its closing, undoes it then).
    pub async fn rollback(self) {
        if let Err(e) = self.inner.rollback().await {
            tracing::warn!(error = %e, "a rollback failed");
        }
    }
}
