//! Accepting validated orders: the duplicate check against stored hashes, the balance
//! reservation and the insert of the order rows, with the idempotent responses, in one
//! transaction for a whole group of requests (docs/orders.md, "Acceptance").
//!
//! The caller has run every stateless rule; what is left needs the database and is decided
//! here, order by order in submission order, so each reservation sees what the earlier orders
//! of the group (its own batch and the requests committed with it) left available.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::{Any, Row, Transaction};
use types::{OrderHash, Timestamp, Wallet, Wei};

use crate::balances::{ensure_balance_row, lock_balance, write_balance, Asset, Balance};
use crate::error::{parse_col, StoreError};
use crate::idempotency::IdempotentResponse;
use crate::orders::{insert_order, OrderRecord};
use crate::{Backend, Store};

/// One request's validated orders, with the idempotency key whose response is kept with them.
#[derive(Clone, Debug)]
pub struct Submission {
    /// Records as [`OrderRecord`] with `reserved` set to what acceptance must reserve.
    pub orders: Vec<OrderRecord>,
    pub idempotency: Option<IdempotencyTarget>,
}

/// The (wallet, key) a request claimed with [`Store::claim_idempotency_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyTarget {
    pub wallet: Wallet,
    pub key: String,
}

/// Why a validated order was not accepted (steps 10 and 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An order with this hash is stored already, or was accepted earlier in the group.
    Duplicate,
    /// What the wallet may spend of the order's asset is less than its reservation.
    InsufficientBalance,
}

/// Per order of a submission, in order: accepted, or why not.
pub type Outcomes = Vec<Result<(), Refusal>>;

/// What a wallet may spend when the internal ledger is not the authority: the total it holds
/// of an asset (for example on chain). The spendable amount is then that total less what its
/// open orders already reserve; the ledger's `available` column is not consulted.
pub type Holdings = HashMap<(Wallet, Asset), Wei>;

impl Store {
    /// Accepts a group of submissions in one transaction and returns each one's outcomes.
    ///
    /// `holdings` overrides the ledger for the (wallet, asset) pairs it names (see
    /// [`Holdings`]). `render(i, outcomes)` gives the response to keep for submission `i`'s
    /// idempotency key; it is called inside the transaction, so the stored response describes
    /// exactly what commits. On any error the transaction is rolled back and nothing of the
    /// group is stored or reserved.
    pub async fn accept_orders<R, E>(
        &self,
        submissions: &[Submission],
        holdings: &Holdings,
        now: Timestamp,
        render: R,
    ) -> Result<Vec<Outcomes>, StoreError>
    where
        R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, E>,
        E: std::fmt::Display,
    {
        let mut tx = self.write.begin().await?;
        match accept_in(&mut tx, self.backend, submissions, holdings, now, &render).await {
            Ok(outcomes) => {
                tx.commit().await?;
                Ok(outcomes)
            }
            Err(e) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rollback of a failed acceptance failed");
                }
                Err(e)
            }
        }
    }
}

async fn accept_in<R, E>(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    submissions: &[Submission],
    holdings: &Holdings,
    now: Timestamp,
    render: &R,
) -> Result<Vec<Outcomes>, StoreError>
where
    R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, E>,
    E: std::fmt::Display,
{
    let all: Vec<&OrderRecord> = submissions.iter().flat_map(|s| &s.orders).collect();
    let hashes: Vec<OrderHash> = all.iter().map(|o| o.order_hash).collect();
    let mut seen = stored_hashes(tx, &hashes).await?;

    // Lock every balance the group touches, in one global order so that concurrent writers
    // (other instances, cancels) cannot deadlock against this one.
    let mut balances: BTreeMap<(Wallet, Asset), (Balance, bool)> = BTreeMap::new();
    for o in &all {
        balances.insert((o.wallet, o.reserved_asset()), (Balance::default(), false));
    }
    for ((wallet, asset), (balance, _)) in balances.iter_mut() {
        if holdings.contains_key(&(*wallet, *asset)) {
            // Judged against an external total: the row must exist to be locked, or two
            // instances could both reserve against the same total.
            ensure_balance_row(tx, *wallet, *asset, now).await?;
        }
        if let Some(b) = lock_balance(tx, backend, *wallet, *asset).await? {
            *balance = b;
        }
    }

    let mut results = Vec::with_capacity(submissions.len());
    for submission in submissions {
        let mut outcomes = Vec::with_capacity(submission.orders.len());
        for o in &submission.orders {
            outcomes.push(accept_one(tx, o, &mut seen, &mut balances, holdings).await?);
        }
        results.push(outcomes);
    }

    for ((wallet, asset), (balance, changed)) in &balances {
        if *changed {
            write_balance(tx, *wallet, *asset, *balance, now).await?;
        }
    }
    for (i, submission) in submissions.iter().enumerate() {
        if let Some(target) = &submission.idempotency {
            let response =
                render(i, &results[i]).map_err(|e| StoreError::Response(e.to_string()))?;
            IdempotentResponse {
                wallet: target.wallet,
                key: &target.key,
                response: &response,
            }
            .store_in(tx)
            .await?;
        }
    }
    Ok(results)
}

async fn accept_one(
    tx: &mut Transaction<'_, Any>,
    o: &OrderRecord,
    seen: &mut HashSet<OrderHash>,
    balances: &mut BTreeMap<(Wallet, Asset), (Balance, bool)>,
    holdings: &Holdings,
) -> Result<Result<(), Refusal>, StoreError> {
    if seen.contains(&o.order_hash) {
        return Ok(Err(Refusal::Duplicate));
    }
    let pair = (o.wallet, o.reserved_asset());
    let Some((balance, changed)) = balances.get_mut(&pair) else {
        return Err(StoreError::Corrupt(format!(
            "no balance locked for {}",
            pair.0
        )));
    };
    let external = holdings.get(&pair).copied();
    let spendable = match external {
        Some(total) => total.checked_sub(balance.reserved).unwrap_or_default(),
        None => balance.available,
    };
    if spendable < o.reserved {
        return Ok(Err(Refusal::InsufficientBalance));
    }
    let reserved = balance
        .reserved
        .checked_add(o.reserved)
        .ok_or(StoreError::BalanceOutOfRange)?;
    // Another instance may have stored the same hash since the check above.
    if !insert_order(tx, o).await? {
        seen.insert(o.order_hash);
        return Ok(Err(Refusal::Duplicate));
    }
    seen.insert(o.order_hash);
    balance.reserved = reserved;
    if external.is_none() {
        // Cannot underflow: spendable (= available) >= o.reserved was checked above.
        balance.available = balance
            .available
            .checked_sub(o.reserved)
            .unwrap_or_default();
    }
    *changed = true;
    Ok(Ok(()))
}

/// Which of `hashes` are stored already, read inside the acceptance transaction.
async fn stored_hashes(
    tx: &mut Transaction<'_, Any>,
    hashes: &[OrderHash],
) -> Result<HashSet<OrderHash>, StoreError> {
    let mut found = HashSet::new();
    // Well under SQLite's and PostgreSQL's bind-parameter limits.
    for chunk in hashes.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT order_hash FROM orders WHERE order_hash IN ({})",
            placeholders.join(",")
        );
        let mut query = sqlx::query(&sql);
        for h in chunk {
            query = query.bind(h.to_string());
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.insert(parse_col(
                &row.try_get::<String, _>("order_hash")?,
                "order_hash",
            )?);
        }
    }
    Ok(found)
}
