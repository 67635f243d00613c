//! The locking path: the group's balances are read under lock inside one transaction, every
//! order is decided against them in submission order, and the accepted orders, the balances
//! and the idempotent responses are written before it commits. Any backend, any group.

use std::collections::{BTreeMap, HashSet};

use store::acceptance::Submission;
use store::balances::{self, Asset, Balance};
use store::idempotency::IdempotentResponse;
use store::orders::{self as stored_orders, OrderColumns, OrderRecord};
use store::{Store, StoreError, Tx};
use types::{OrderHash, Timestamp, Wallet};

use super::reservations::{judge, reserve, Decided, Holdings, Outcomes, Refusal};
use crate::error::GroupCommitError;

/// How [`decide_and_write`] learns which hashes are stored already and stores the accepted
/// orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inserts {
    /// Decide every order first, then insert the accepted ones with multi-row INSERTs: a few
    /// statements per group instead of one per order. With `precheck`, the group's hashes are
    /// looked up first; without it, the insert itself tells (an honest group holds no order
    /// stored before, and saves the lookup). Valid only if every insert lands; if one is
    /// skipped, the attempt answers `None` and the caller tries the next way.
    Bulk { precheck: bool },
    /// Insert each order as it is decided, so that one skipped as stored meanwhile (by another
    /// instance, after the lookup) is a `Duplicate` that reserves nothing, before the next
    /// order is decided.
    OneByOne,
}

/// The ways [`accept_locking`] tries, in order: a group with an order stored before costs one
/// more attempt, and one that races another instance's insert of the same hash, two.
const ATTEMPTS: [Inserts; 3] = [
    Inserts::Bulk { precheck: false },
    Inserts::Bulk { precheck: true },
    Inserts::OneByOne,
];

/// Accepts a group in one transaction; see [`super::accept_group`].
pub(super) async fn accept_locking<R>(
    store: &Store,
    submissions: &[Submission],
    holdings: &Holdings,
    now: Timestamp,
    render: &R,
) -> Result<Vec<Outcomes>, GroupCommitError>
where
    R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, String>,
{
    // The embedded store knows every stored hash (its hash index): one attempt, with the
    // lookup, always lands every insert.
    let attempts: &[Inserts] = if store.knows_every_stored_hash() {
        &[Inserts::Bulk { precheck: true }]
    } else {
        &ATTEMPTS
    };
    let mut conn = store.write_connection().await?;
    // Each attempt is valid only if every insert lands; when one is skipped (its hash is
    // stored already), the reservations decided after it may be wrong, so the group is
    // rolled back and decided again by the next, more careful attempt.
    for &inserts in attempts {
        let mut tx = conn.begin().await?;
        match decide_and_write(&mut tx, submissions, holdings, now, render, inserts).await {
            Ok(Some(outcomes)) => {
                tx.commit().await?;
                return Ok(outcomes);
            }
            Ok(None) => tx.rollback().await,
            Err(e) => {
                tx.rollback().await;
                return Err(e);
            }
        }
    }
    Err(StoreError::Corrupt("inserting order by order skipped an order".into()).into())
}

/// One attempt: the outcomes, or `None` when an insert did not land.
async fn decide_and_write<R>(
    tx: &mut Tx<'_>,
    submissions: &[Submission],
    holdings: &Holdings,
    now: Timestamp,
    render: &R,
    inserts: Inserts,
) -> Result<Option<Vec<Outcomes>>, GroupCommitError>
where
    R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, String>,
{
    let all: Vec<&OrderRecord> = submissions.iter().flat_map(|s| s.orders()).collect();
    let mut seen = if inserts == (Inserts::Bulk { precheck: false }) {
        HashSet::new()
    } else {
        let hashes: Vec<OrderHash> = all.iter().map(|o| o.order_hash).collect();
        stored_orders::stored_hashes(tx, &hashes).await?
    };

    // Lock every balance the group touches, in one global order so that concurrent writers
    // (other instances, cancels) cannot deadlock against this one.
    let mut decided: Decided = BTreeMap::new();
    for o in &all {
        decided.insert((o.wallet, o.reserved_asset()), (Balance::default(), false));
    }
    for pair in decided.keys() {
        if holdings.contains_key(pair) {
            // Judged against an external total: the row must exist to be locked, or two
            // instances could both reserve against the same total.
            balances::ensure_balance_row(tx, pair.0, pair.1, now).await?;
        }
    }
    let pairs: Vec<(Wallet, Asset)> = decided.keys().copied().collect();
    for (pair, locked) in balances::lock_balances(tx, &pairs).await? {
        if let Some((balance, _)) = decided.get_mut(&pair) {
            *balance = locked;
        }
    }

    let mut results = Vec::with_capacity(submissions.len());
    let mut accepted: Vec<&OrderColumns> = Vec::new();
    for submission in submissions {
        let mut outcomes = Vec::with_capacity(submission.orders().len());
        for (o, columns) in submission.orders().iter().zip(submission.columns()) {
            let outcome = match inserts {
                Inserts::OneByOne => {
                    accept_one(tx, o, columns, &mut seen, &mut decided, holdings).await?
                }
                Inserts::Bulk { .. } => match judge(o, &seen, &decided, holdings)? {
                    Ok(reserved) => {
                        reserve(o, &mut seen, &mut decided, holdings, reserved);
                        accepted.push(columns);
                        Ok(())
                    }
                    Err(refusal) => Err(refusal),
                },
            };
            outcomes.push(outcome);
        }
        results.push(outcomes);
    }
    if matches!(inserts, Inserts::Bulk { .. })
        && stored_orders::insert_orders_bulk(tx, &accepted).await? != accepted.len() as u64
    {
        return Ok(None);
    }
    if inserts == (Inserts::Bulk { precheck: false }) {
        relabel_stored_duplicates(tx, submissions, &mut results).await?;
    }

    let changed: BTreeMap<(Wallet, Asset), Balance> = decided
        .iter()
        .filter(|(_, (_, changed))| *changed)
        .map(|(pair, (balance, _))| (*pair, *balance))
        .collect();
    balances::write_balances(tx, &changed, now).await?;
    for (i, submission) in submissions.iter().enumerate() {
        if let Some(target) = submission.idempotency() {
            let response = render(i, &results[i]).map_err(GroupCommitError::Render)?;
            IdempotentResponse {
                wallet: target.wallet,
                key: &target.key,
                response: &response,
            }
            .store_in(tx)
            .await?;
        }
    }
    Ok(Some(results))
}

async fn accept_one(
    tx: &mut Tx<'_>,
    o: &OrderRecord,
    columns: &OrderColumns,
    seen: &mut HashSet<OrderHash>,
    decided: &mut Decided,
    holdings: &Holdings,
) -> Result<Result<(), Refusal>, StoreError> {
    let reserved = match judge(o, seen, decided, holdings)? {
        Ok(reserved) => reserved,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // Another instance may have stored the same hash since the check above.
    if !stored_orders::insert_order(tx, columns).await? {
        seen.insert(o.order_hash);
        return Ok(Err(Refusal::Duplicate));
    }
    reserve(o, seen, decided, holdings, reserved);
    Ok(Ok(()))
}

/// Without the lookup up front, an order stored before that the wallet could not afford anyway
/// was refused for its balance and never reached the insert that would have told. Step 10
/// comes before step 11, so such an order is a `Duplicate`. Relabelling it changes no other
/// decision: it reserved nothing either way.
async fn relabel_stored_duplicates(
    tx: &mut Tx<'_>,
    submissions: &[Submission],
    results: &mut [Outcomes],
) -> Result<(), StoreError> {
    let short: Vec<OrderHash> = submissions
        .iter()
        .zip(results.iter())
        .flat_map(|(s, outcomes)| s.orders().iter().zip(outcomes))
        .filter(|(_, outcome)| matches!(outcome, Err(Refusal::InsufficientBalance { .. })))
        .map(|(o, _)| o.order_hash)
        .collect();
    if short.is_empty() {
        return Ok(());
    }
    let stored = stored_orders::stored_hashes(tx, &short).await?;
    for (submission, outcomes) in submissions.iter().zip(results.iter_mut()) {
        for (o, outcome) in submission.orders().iter().zip(outcomes.iter_mut()) {
            if matches!(outcome, Err(Refusal::InsufficientBalance { .. }))
                && stored.contains(&o.order_hash)
            {
                *outcome = Err(Refusal::Duplicate);
            }
        }
    }
    Ok(())
}
