//! Accepting a group without locking its balances first, when this process knows every
//! balance it touches (docs/orders.md, "Optimistic acceptance").
//!
//! The locking path ([`crate::acceptance`]) reads and locks the group's balances before it
//! decides, which costs a PostgreSQL group six round trips (BEGIN, the lock, the insert, the
//! balance write, COMMIT, and sqlx's test of the pooled connection) and a SQLite group six
//! hand-offs to its connection thread; each one wakes a thread on both sides. Here the group
//! is decided against the balances this process last committed ([`BalanceHints`]), and each
//! balance is written only where it still holds the hinted amounts (compare-and-set):
//!
//! - PostgreSQL: one statement, its own transaction, on a connection kept between groups. It
//!   locks the balances in the locking path's global order, inserts the orders, sets the
//!   balances, keeps the idempotent responses, and fails, undoing all of it, unless every
//!   balance was set (a hash stored before fails the insert).
//! - SQLite: BEGIN IMMEDIATE, the inserts, the compare-and-sets, the responses, COMMIT, on the
//!   store's direct connection in one blocking call (`crate::direct`); rolled back unless every
//!   balance was set. Duplicates are known beforehand from the hash index.
//!
//! A group that fails, or that this path cannot decide alone (a refusal, a balance without a
//! hint, an external balance source), goes down the locking path, which decides it afresh
//! from locked rows.

use std::collections::{BTreeMap, HashSet};

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;
use types::{Timestamp, Wallet};

use crate::acceptance::{judge, reserve, Holdings, Outcomes, Submission};
use crate::balances::{Asset, Balance};
use crate::direct::HintedBalance;
use crate::error::StoreError;
use crate::hash_index::{HashIndex, Inserted};
use crate::orders::{bind_order, OrderColumns, COLUMNS, INSERT_COLUMNS};
use crate::{Backend, Store};

/// SQLSTATE of the failure the statement raises when a hint or an insert did not hold
/// (`serialization_failure`; migration 0006 defines `acceptance_conflict()`).
const CONFLICT: &str = "40001";
/// SQLSTATE of a deadlock PostgreSQL broke by failing this statement: the locking path retries.
const DEADLOCK: &str = "40P01";
/// SQLSTATE of an insert whose hash is stored already: the locking path tells which order it was.
const UNIQUE_VIOLATION: &str = "23505";
/// Bind parameters one statement may carry (PostgreSQL's limit is 65,535).
const MAX_PARAMETERS: usize = 60_000;

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

    /// The PostgreSQL statement; `false` when a hint or an insert did not hold.
    async fn write_postgres(
        &self,
        plan: &Plan<'_>,
        balances: &[HintedBalance],
        responses: &[Response<'_>],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = statement(plan.orders.len(), balances.len(), responses.len());
        let mut query = sqlx::query(&sql);
        for row in balances {
            for value in row {
                query = query.bind(value.as_str());
            }
        }
        for columns in &plan.orders {
            query = bind_order(query, columns);
        }
        query = query.bind(now.0);
        let wallets: Vec<String> = responses.iter().map(|(w, _, _)| w.to_string()).collect();
        for ((_, key, response), wallet) in responses.iter().zip(&wallets) {
            query = query
                .bind(wallet.as_str())
                .bind(*key)
                .bind(response.as_str());
        }
        let query: Query<'_, Any, AnyArguments<'_>> = query.bind(balances.len() as i64);
        // A connection kept for this statement, not taken from the pool per group: sqlx tests
        // every connection it takes back with a round trip of its own.
        let mut held = self.held_writer.lock().await;
        let connection = match held.as_mut() {
            Some(connection) => connection,
            None => held.insert(self.write.acquire().await?),
        };
        match query.fetch_all(&mut **connection).await {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e))
                if matches!(
                    e.code().as_deref(),
                    Some(CONFLICT) | Some(DEADLOCK) | Some(UNIQUE_VIOLATION)
                ) =>
            {
                Ok(false)
            }
            Err(e) => {
                // Back to the pool, which tests it before anyone else gets it.
                held.take();
                Err(e.into())
            }
        }
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
        let parameters = orders.len() * INSERT_COLUMNS + orders.len() * 6 + submissions.len() * 3;
        if orders.is_empty() || parameters > MAX_PARAMETERS {
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
type Response<'a> = (Wallet, &'a str, String);

/// A group decided against the hints.
struct Plan<'s> {
    orders: Vec<&'s OrderColumns>,
    /// Per balance the group changes: the hinted amounts, and the amounts after the group.
    balances: BTreeMap<(Wallet, Asset), (Balance, Balance)>,
}

/// The statement for `orders` orders, `balances` balance changes and `responses` idempotent
/// responses. Parameters, in order: each balance's (wallet, asset, hinted available, hinted
/// reserved, new available, new reserved); each order's [`COLUMNS`]; the time of the change;
/// each response's (wallet, key, response); the balance count.
fn statement(orders: usize, balances: usize, responses: usize) -> String {
    let mut sql = Numbered::default();
    sql.push(
        "WITH hinted (wallet, asset, old_available, old_reserved, new_available, new_reserved) \
         AS (VALUES ",
    );
    sql.rows(balances, 6);
    // The locking path's order (store::balances::lock_balances), so that this statement and a
    // transaction that locks the same balances never wait on each other in opposite orders.
    sql.push(
        "), locked AS MATERIALIZED (SELECT wallet, asset FROM balances \
         WHERE (wallet, asset) IN (SELECT wallet, asset FROM hinted) \
         ORDER BY wallet, asset FOR UPDATE), inserted AS (INSERT INTO orders (",
    );
    sql.push(COLUMNS);
    sql.push(") VALUES ");
    sql.rows(orders, INSERT_COLUMNS);
    // No ON CONFLICT: its probe of the hash index before each insert was a seventh of
    // PostgreSQL's CPU per order here. An order stored before fails the statement with a unique
    // violation instead, and the locking path sorts the group out.
    sql.push(
        "), updated AS (UPDATE balances AS b \
         SET available = h.new_available, reserved = h.new_reserved, updated_at = ",
    );
    sql.parameter();
    sql.push(
        " FROM hinted AS h JOIN locked AS l ON l.wallet = h.wallet AND l.asset = h.asset \
         WHERE b.wallet = h.wallet AND b.asset = h.asset \
         AND b.available = h.old_available AND b.reserved = h.old_reserved RETURNING 1)",
    );
    if responses > 0 {
        sql.push(
            ", answered AS (UPDATE idempotency_keys AS k SET response = r.response FROM (VALUES ",
        );
        sql.rows(responses, 3);
        sql.push(
            ") AS r (wallet, idempotency_key, response) WHERE k.wallet = r.wallet \
             AND k.idempotency_key = r.idempotency_key AND k.response IS NULL RETURNING 1)",
        );
    }
    sql.push(" SELECT CASE WHEN (SELECT count(*) FROM updated) = ");
    sql.parameter();
    sql.push(" THEN 0 ELSE acceptance_conflict() END AS conflict");
    sql.text
}

/// SQL text with PostgreSQL's numbered placeholders, numbered as they are appended.
#[derive(Default)]
struct Numbered {
    text: String,
    used: usize,
}

impl Numbered {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn parameter(&mut self) {
        Backend::Postgres.push_placeholders(&mut self.text, self.used + 1, 1);
        self.used += 1;
    }

    /// `(…),(…)`: `rows` groups of `columns` placeholders.
    fn rows(&mut self, rows: usize, columns: usize) {
        for row in 0..rows {
            self.text.push_str(if row == 0 { "(" } else { ",(" });
            Backend::Postgres.push_placeholders(&mut self.text, self.used + 1, columns);
            self.used += columns;
            self.text.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_on_through_the_whole_statement() {
        let sql = statement(2, 1, 1);
        let expected = 6 + 2 * INSERT_COLUMNS + 1 + 3 + 1;
        assert!(sql.contains(&format!("${expected} THEN 0")), "{sql}");
        assert!(!sql.contains(&format!("${}", expected + 1)), "{sql}");
    }
}
