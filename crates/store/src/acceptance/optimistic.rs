//! Writing a group decided without locking its balances first, when this process knows every
//! balance it touches (docs/orders.md, "Optimistic acceptance").
//!
//! The locking path reads and locks the group's balances before the domain decides, which costs
//! a group five statements (BEGIN, the lock, the insert, the balance write, COMMIT), each a round
//! trip to PostgreSQL or a hand-off to SQLite's connection thread. Here the domain decides the
//! group against the balances this process last committed ([`Store::balance_hints`]), and
//! each balance is written only where it still holds the hinted amounts (compare-and-set):
//!
//! - PostgreSQL: one statement, its own transaction, on the store's acceptance connection
//!   ([`super::pg_statement`]), every input an array. It sets the balances (locking them in
//!   the locking path's global order), inserts the orders, keeps the idempotent responses, and
//!   fails, undoing all of it, unless every balance was set (a hash stored before fails the
//!   insert).
//! - SQLite: BEGIN IMMEDIATE, the inserts, the compare-and-sets, the responses, COMMIT, on the
//!   store's direct connection in one blocking call ([`super::sqlite_connection`]); rolled back
//!   unless every balance was set. Duplicates are known beforehand from the hash index.
//!
//! A group that is not written here is written by the locking path, decided afresh from locked
//! rows.

use std::collections::{BTreeMap, HashSet};

use types::{OrderHash, Timestamp, Wallet};

use crate::backend::Native;
use crate::balances::{Asset, Balance};
use crate::error::StoreError;
use crate::hash_index::Inserted;
use crate::orders::OrderColumns;
use crate::Store;

use super::HintedBalance;

/// A group the domain decided against the hints: its orders, and per balance it changes the
/// hinted amounts and the amounts after the group.
pub struct PlannedGroup<'a> {
    pub orders: Vec<&'a OrderColumns>,
    pub balances: BTreeMap<(Wallet, Asset), (Balance, Balance)>,
    /// The idempotent responses to keep: wallet, key, response.
    pub responses: Vec<(Wallet, &'a str, String)>,
}

impl Store {
    /// The balances this process last committed for every pair, or `None` when it does not
    /// know one of them.
    pub fn balance_hints(
        &self,
        pairs: &HashSet<(Wallet, Asset)>,
    ) -> Option<Vec<((Wallet, Asset), Balance)>> {
        self.hints.get_all(pairs)
    }

    /// True when the store knows every stored hash without a query (the embedded store's hash
    /// index), so that an insert never meets a hash it was not told of.
    pub fn knows_every_stored_hash(&self) -> bool {
        self.hash_index().is_some()
    }

    /// Which of `hashes` are stored, when the store can tell without a query (the embedded
    /// store's hash index); `None` on PostgreSQL, whose optimistic insert fails on a stored hash.
    pub fn known_stored_hashes(
        &self,
        hashes: impl IntoIterator<Item = OrderHash>,
    ) -> Option<HashSet<OrderHash>> {
        self.hash_index().map(|index| index.stored_among(hashes))
    }

    /// Writes the group if every hinted balance still holds; `false` (nothing written, the
    /// hints forgotten) when one does not or an order's hash is stored already.
    pub async fn write_planned(
        &self,
        group: &PlannedGroup<'_>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let balances: Vec<HintedBalance> = group
            .balances
            .iter()
            .map(|(pair, (before, after))| {
                [
                    pair.0.to_string(),
                    pair.1.to_string(),
                    before.available.to_string(),
                    before.reserved.to_string(),
                    after.available.to_string(),
                    after.reserved.to_string(),
                ]
            })
            .collect();
        let written = match &self.native {
            Native::Postgres(pg_statement) => {
                pg_statement
                    .accept(&group.orders, &balances, &group.responses, now)
                    .await?
            }
            Native::Sqlite(sqlite) => {
                // The turn of every SQLite write: while it is held, no other connection writes.
                let _turn = sqlite.held_writer.lock().await;
                let index = &sqlite.hash_index;
                let first_row = index.allocate_rows(group.orders.len());
                let written = sqlite.direct.accept(
                    first_row,
                    &group.orders,
                    &balances,
                    &group.responses,
                    now,
                )?;
                if written {
                    let mut inserted = Inserted::default();
                    for (row, order) in (first_row..).zip(&group.orders) {
                        inserted.push(order.hash(), row);
                    }
                    index.extend(inserted);
                }
                written
            }
        };
        if written {
            self.hints.record(
                group
                    .balances
                    .iter()
                    .map(|(pair, (_, after))| (pair, after)),
            );
        } else {
            self.hints.forget(group.balances.keys());
        }
        Ok(written)
    }
}
