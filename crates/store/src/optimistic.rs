//! Accepting a group without locking its balances first, when this process knows every
//! balance it touches (docs/orders.md, "Optimistic acceptance").
//!
//! The locking path ([`crate::acceptance`]) reads and locks the group's balances before it
//! decides, which costs a group five statements (BEGIN, the lock, the insert, the balance
//! write, COMMIT), each a round trip to PostgreSQL (plus sqlx's test of the pooled connection)
//! or a hand-off to SQLite's connection thread, each waking a thread on both sides. Here the
//! group is decided against the balances this process last committed ([`BalanceHints`]), and
//! each balance is written only where it still holds the hinted amounts (compare-and-set):
//!
//! - PostgreSQL: one statement, its own transaction, on the store's acceptance connection
//!   (`crate::pg_direct`), every input an array. It sets the balances (locking them in the
//!   locking path's global order), inserts the orders, keeps the idempotent responses, and
//!   fails, undoing all of it, unless every balance was set (a hash stored before fails the
//!   insert).
//! - SQLite: BEGIN IMMEDIATE, the inserts, the compare-and-sets, the responses, COMMIT, on the
//!   store's direct connection in one blocking call (`crate::direct`); rolled back unless every
//!   balance was set. Duplicates are known beforehand from the hash index.
//!
//! A group that fails, or that this path cannot decide alone (a refusal, a balance without a
//! hint, an external balance source), goes down the locking path, which decides it afresh
//! from locked rows.

use std::collections::{BTreeMap, HashSet};

use types::{Timestamp, Wallet};

use crate::acceptance::{judge, reserve, Holdings, Outcomes, Submission};
use crate::balances::{Asset, Balance};
use crate::error::StoreError;
use crate::hash_index::{HashIndex, Inserted};
use crate::orders::OrderColumns;
use crate::Store;

impl Store {
    /// The group's outcomes when it was accepted against the hints; `None` when the locking
    /// path must decide it (nothing of the group is stored then).
    pub(crate) async fn accept_optimistically<R, E>(
        &self,
        submissions: &[Submission],
        now: Timestamp,
        render: &R,
    ) -> Result<Option<Vec<Outcomes>>, StoreError>
    where
        R: Fn(usize, &[Result<(), crate::acceptance::Refusal>]) -> Result<String, E>,
        E: std::fmt::Display,
    {
        let Some(plan) = self.plan(submissions) else {
            return Ok(None);
        };
        let results: Vec<Outcomes> = submissions
            .iter()
            .map(|s| vec![Ok(()); s.orders().len()])
            .collect();
        let mut responses: Vec<Response<'_>> = Vec::new();
        for (i, submission) in submissions.iter().enumerate() {
            if let Some(target) = submission.idempotency() {
                let response =
                    render(i, &results[i]).map_err(|e| StoreError::Response(e.to_string()))?;
                responses.push((target.wallet, target.key.as_str(), response));
            }
        }
        let balances: Vec<HintedBalance> = plan
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
        let written = match &self.hash_index {
            Some(index) => {
                self.write_sqlite(index, &plan, &balances, &responses, now)
                    .await?
            }
            None => {
                self.write_postgres(&plan, &balances, &responses, now)
                    .await?
            }
        };
        if written {
            self.hints
                .record(plan.balances.iter().map(|(pair, (_, after))| (pair, after)));
            Ok(Some(results))
        } else {
            self.hints.forget(plan.balances.keys());
            Ok(None)
        }
    }

    /// The PostgreSQL statement (`crate::pg_direct`); `false` when a hint or an insert did not
    /// hold.
    async fn write_postgres(
        &self,
        plan: &Plan<'_>,
        balances: &[HintedBalance],
        responses: &[Response<'_>],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let pg_direct = self.pg_direct.as_ref().ok_or(StoreError::Closed)?;
        pg_direct
            .accept(&plan.orders, balances, responses, now)
            .await
    }

    /// The SQLite transaction, on the direct connection; `false` (rolled back) when a hint did
    /// not hold.
    async fn write_sqlite(
        &self,
        index: &HashIndex,
        plan: &Plan<'_>,
        balances: &[HintedBalance],
        responses: &[Response<'_>],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let direct = self.direct.as_ref().ok_or(StoreError::Closed)?;
        // The turn of every SQLite write: while it is held, no other connection writes.
        let _turn = self.held_writer.lock().await;
        let first_row = index.allocate_rows(plan.orders.len());
        let written = direct.accept(first_row, &plan.orders, balances, responses, now)?;
        if written {
            let mut inserted = Inserted::default();
            for (row, order) in (first_row..).zip(&plan.orders) {
                inserted.push(order.hash(), row);
            }
            index.extend(inserted);
        }
        Ok(written)
    }

    /// Decides the group against the hints: every order accepted, or `None`.
    fn plan<'s>(&self, submissions: &'s [Submission]) -> Option<Plan<'s>> {
        let orders: Vec<_> = submissions
            .iter()
            .flat_map(|s| s.orders().iter().zip(s.columns()))
            .collect();
        if orders.is_empty() {
            return None;
        }
        let pairs: HashSet<(Wallet, Asset)> = orders
            .iter()
            .map(|(o, _)| (o.wallet, o.reserved_asset()))
            .collect();
        let hinted = self.hints.get_all(&pairs)?;
        let mut decided: BTreeMap<(Wallet, Asset), (Balance, bool)> = hinted
            .iter()
            .map(|(pair, balance)| (*pair, (*balance, false)))
            .collect();
        // A hash stored before is a refusal this path leaves to the locking one. On SQLite the
        // hash index says so now; on PostgreSQL the statement's insert fails.
        let mut seen: HashSet<_> = match &self.hash_index {
            Some(index) => index.stored_among(orders.iter().map(|(o, _)| o.order_hash)),
            None => HashSet::new(),
        };
        let no_holdings = Holdings::new();
        for (o, _) in &orders {
            let reserved = judge(o, &seen, &decided, &no_holdings).ok()?.ok()?;
            reserve(o, &mut seen, &mut decided, &no_holdings, reserved);
        }
        let balances = hinted
            .into_iter()
            .filter_map(|(pair, before)| {
                let (after, changed) = decided.get(&pair)?;
                changed.then_some((pair, (before, *after)))
            })
            .collect();
        Some(Plan {
            orders: orders.into_iter().map(|(_, columns)| columns).collect(),
            balances,
        })
    }
}

/// An idempotent response to keep: the wallet, the key and the response.
pub(crate) type Response<'a> = (Wallet, &'a str, String);

/// The fields of a [`HintedBalance`].
pub(crate) const HINTED_BALANCE_FIELDS: usize = 6;

/// A balance change decided against the hints: wallet, asset, hinted available, hinted
/// reserved, new available, new reserved.
pub(crate) type HintedBalance = [String; HINTED_BALANCE_FIELDS];

/// A group decided against the hints.
struct Plan<'s> {
    orders: Vec<&'s OrderColumns>,
    /// Per balance the group changes: the hinted amounts, and the amounts after the group.
    balances: BTreeMap<(Wallet, Asset), (Balance, Balance)>,
}
