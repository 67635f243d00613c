//! The optimistic path: a group decided against the balances this process last committed,
//! written only if each of them still holds (`store::acceptance::optimistic`). It decides only
//! groups whose every order is accepted; anything else is the locking path's.

use std::collections::{BTreeMap, HashSet};

use store::acceptance::optimistic::PlannedGroup;
use store::acceptance::Submission;
use store::balances::Asset;
use store::Store;
use types::{Timestamp, Wallet};

use super::reservations::{judge, reserve, Decided, Holdings, Outcomes, Refusal};
use crate::error::GroupCommitError;

/// The group's outcomes when it was accepted against the hints; `None` when the locking path
/// must decide it (nothing of the group is stored then).
pub(super) async fn accept_optimistically<R>(
    store: &Store,
    submissions: &[Submission],
    now: Timestamp,
    render: &R,
) -> Result<Option<Vec<Outcomes>>, GroupCommitError>
where
    R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, String>,
{
    let Some(mut group) = plan(store, submissions) else {
        return Ok(None);
    };
    let results: Vec<Outcomes> = submissions
        .iter()
        .map(|s| vec![Ok(()); s.orders().len()])
        .collect();
    for (i, submission) in submissions.iter().enumerate() {
        if let Some(target) = submission.idempotency() {
            let response = render(i, &results[i]).map_err(GroupCommitError::Render)?;
            group
                .responses
                .push((target.wallet, target.key.as_str(), response));
        }
    }
    if store.write_planned(&group, now).await? {
        Ok(Some(results))
    } else {
        Ok(None)
    }
}

/// Decides the group against the hints: every order accepted, or `None`.
fn plan<'s>(store: &Store, submissions: &'s [Submission]) -> Option<PlannedGroup<'s>> {
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
    let hinted = store.balance_hints(&pairs)?;
    let mut decided: Decided = hinted
        .iter()
        .map(|(pair, balance)| (*pair, (*balance, false)))
        .collect();
    // A hash stored before is a refusal this path leaves to the locking one. On SQLite the
    // hash index says so now; on PostgreSQL the statement's insert fails.
    let mut seen = store
        .known_stored_hashes(orders.iter().map(|(o, _)| o.order_hash))
        .unwrap_or_default();
    let no_holdings = Holdings::new();
    for (o, _) in &orders {
        let reserved = judge(o, &seen, &decided, &no_holdings).ok()?.ok()?;
        reserve(o, &mut seen, &mut decided, &no_holdings, reserved);
    }
    let balances: BTreeMap<_, _> = hinted
        .into_iter()
        .filter_map(|(pair, before)| {
            let (after, changed) = decided.get(&pair)?;
            changed.then_some((pair, (before, *after)))
        })
        .collect();
    Some(PlannedGroup {
        orders: orders.into_iter().map(|(_, columns)| columns).collect(),
        balances,
        responses: Vec::new(),
    })
}
