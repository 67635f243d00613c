//! Cancelling a wallet's live orders: status `CANCELLED` and the remaining reservation back to
//! the available balance, in one transaction the store's cancel functions are composed in.
//! Only the wallet's own `OPEN` and `PARTIALLY_FILLED` orders are ever touched.

use std::collections::BTreeMap;

use store::balances::{lock_balances, write_balances, Asset, Balance};
use store::cancels::{
    cancel_live_order, lock_live_orders, lock_order, order_statuses, CancelSelection,
};
use store::orders::OrderRecord;
use store::{Store, StoreError, Tx};
use types::{OrderHash, OrderStatus, Timestamp, Wallet, Wei};

/// What one cancel did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cancelled {
    /// The hashes actually cancelled, in the order given (by hash) or by hash (by filter).
    pub hashes: Vec<OrderHash>,
    /// Each listed hash that was not cancelled, with why; empty for a filter.
    pub not_cancelled: BTreeMap<OrderHash, NotCancelled>,
}

/// Why a listed hash was not cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotCancelled {
    /// Unknown, or another wallet's: the two are never told apart.
    NotFound,
    /// `MATCHED` or `FILLED` (matched counts as filled, as for the on-chain cancel).
    AlreadyFilled,
    /// `CANCELLED`, `EXPIRED` or `MATCH_FAILED`: closed without a fill, the statuses the
    /// `cancelled` list filter groups.
    AlreadyCancelled,
}

impl NotCancelled {
    /// The reason as `not_cancelled` answers it: a code of the error table's style.
    pub fn code(self) -> &'static str {
        match self {
            NotCancelled::NotFound => "ORDER_NOT_FOUND",
            NotCancelled::AlreadyFilled => "ORDER_ALREADY_FILLED",
            NotCancelled::AlreadyCancelled => "ORDER_ALREADY_CANCELLED",
        }
    }

    /// Why a listed order of the wallet that was not live when the cancel locked the wallet's
    /// live orders was not cancelled, from its status read after (`None`: no such order).
    fn of(status: Option<OrderStatus>) -> NotCancelled {
        match status {
            // Live now, so accepted after the lock: it was not there to cancel.
            None | Some(OrderStatus::Open | OrderStatus::PartiallyFilled) => NotCancelled::NotFound,
            Some(OrderStatus::Matched | OrderStatus::Filled) => NotCancelled::AlreadyFilled,
            Some(OrderStatus::Cancelled | OrderStatus::Expired | OrderStatus::MatchFailed) => {
                NotCancelled::AlreadyCancelled
            }
        }
    }
}

/// Cancels the selected live orders of `wallet`; returns the hashes actually cancelled and,
/// for a list of hashes, why each other one was not.
pub async fn cancel_selected(
    store: &Store,
    wallet: Wallet,
    selection: &CancelSelection,
    now: Timestamp,
) -> Result<Cancelled, StoreError> {
    if matches!(selection, CancelSelection::Hashes(h) if h.is_empty()) {
        return Ok(Cancelled::default());
    }
    let mut conn = store.write_connection().await?;
    let mut tx = conn.begin().await?;
    let cancelled = cancel_selected_in(&mut tx, wallet, selection, now).await;
    tx.finish(cancelled).await
}

/// Cancels one order of `wallet` if it is live. Returns the order as it was before, or `None`
/// when the wallet has no order with this hash; a closed order is left unchanged.
pub async fn cancel_one(
    store: &Store,
    wallet: Wallet,
    hash: &OrderHash,
    now: Timestamp,
) -> Result<Option<OrderRecord>, StoreError> {
    let mut conn = store.write_connection().await?;
    let mut tx = conn.begin().await?;
    let found = cancel_one_in(&mut tx, wallet, hash, now).await;
    tx.finish(found).await
}

async fn cancel_selected_in(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    selection: &CancelSelection,
    now: Timestamp,
) -> Result<Cancelled, StoreError> {
    let live = lock_live_orders(tx, wallet, selection).await?;
    let mut releases: BTreeMap<(Wallet, Asset), Wei> = BTreeMap::new();
    for order in &live {
        cancel_live_order(tx, &order.hash, now).await?;
        let total = releases.entry((wallet, order.asset)).or_default();
        *total = total
            .checked_add(order.reserved)
            .ok_or(StoreError::BalanceOutOfRange)?;
    }
    releases.retain(|_, amount| !amount.0.is_zero());
    if !releases.is_empty() {
        release(tx, &releases, now).await?;
    }
    let CancelSelection::Hashes(listed) = selection else {
        return Ok(Cancelled {
            hashes: live.iter().map(|l| l.hash).collect(),
            not_cancelled: BTreeMap::new(),
        });
    };
    let mut hashes: Vec<OrderHash> = Vec::with_capacity(live.len());
    let mut missed: Vec<OrderHash> = Vec::new();
    for h in listed {
        if live.iter().any(|l| l.hash == *h) {
            if !hashes.contains(h) {
                hashes.push(*h);
            }
        } else if !missed.contains(h) {
            missed.push(*h);
        }
    }
    // A closed order stays closed, so its status needs no lock; one closed by a concurrent
    // cancel since the lock above reads as cancelled, which it is.
    let statuses = order_statuses(tx, wallet, &missed).await?;
    let not_cancelled = missed
        .into_iter()
        .map(|h| (h, NotCancelled::of(statuses.get(&h).copied())))
        .collect();
    Ok(Cancelled {
        hashes,
        not_cancelled,
    })
}

async fn cancel_one_in(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    hash: &OrderHash,
    now: Timestamp,
) -> Result<Option<OrderRecord>, StoreError> {
    let Some(order) = lock_order(tx, wallet, hash).await? else {
        return Ok(None);
    };
    if order.status.is_live() {
        cancel_live_order(tx, hash, now).await?;
        if !order.reserved.0.is_zero() {
            let amount = BTreeMap::from([((wallet, order.reserved_asset()), order.reserved)]);
            release(tx, &amount, now).await?;
        }
    }
    Ok(Some(order))
}

/// Returns each amount from reserved to available (cancels and expiries), locking every
/// balance involved with one [`lock_balances`].
async fn release(
    tx: &mut Tx<'_>,
    amounts: &BTreeMap<(Wallet, Asset), Wei>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let pairs: Vec<(Wallet, Asset)> = amounts.keys().copied().collect();
    let current = lock_balances(tx, &pairs).await?;
    let mut updated = BTreeMap::new();
    for (pair, amount) in amounts {
        let (wallet, asset) = pair;
        let balance = current.get(pair).copied().unwrap_or_default();
        let reserved = balance.reserved.checked_sub(*amount).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "{wallet} {asset}: releasing {amount} but only {} is reserved",
                balance.reserved
            ))
        })?;
        let available = balance
            .available
            .checked_add(*amount)
            .ok_or(StoreError::BalanceOutOfRange)?;
        updated.insert(
            *pair,
            Balance {
                available,
                reserved,
            },
        );
    }
    write_balances(tx, &updated, now).await
}
