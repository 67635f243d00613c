//! Cancelling a wallet's live orders through their markets' matchers: each matcher takes
//! them off its book and commits their status (`CANCELLED`) and the release of what they held
//! reserved before the cancel answers. Only the wallet's own `OPEN` and `PARTIALLY_FILLED`
//! orders are ever touched.

use std::collections::{BTreeMap, BTreeSet};

use engine::{CancelTarget, Engine};
use store::cancels::CancelSelection;
use store::Store;
use types::{MarketKey, OrderHash, OrderStatus, Wallet};

use crate::error::ServiceError;

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
    engine: &Engine,
    store: &Store,
    wallet: Wallet,
    selection: &CancelSelection,
) -> Result<Cancelled, ServiceError> {
    match selection {
        CancelSelection::Hashes(listed) => cancel_listed(engine, store, wallet, listed).await,
        CancelSelection::Matching {
            market,
            outcome,
            side,
        } => {
            let markets = match market {
                Some(m) => vec![*m],
                None => store.live_markets_of(wallet).await?,
            };
            let target = CancelTarget::Matching {
                outcome: *outcome,
                side: *side,
            };
            let mut hashes = Vec::new();
            for m in markets {
                hashes.extend(cancel_in(engine, m, wallet, target.clone()).await?);
            }
            hashes.sort();
            Ok(Cancelled {
                hashes,
                not_cancelled: BTreeMap::new(),
            })
        }
    }
}

async fn cancel_listed(
    engine: &Engine,
    store: &Store,
    wallet: Wallet,
    listed: &[OrderHash],
) -> Result<Cancelled, ServiceError> {
    if listed.is_empty() {
        return Ok(Cancelled::default());
    }
    let found = store.orders_among(wallet, listed).await?;
    let mut by_market: BTreeMap<MarketKey, Vec<OrderHash>> = BTreeMap::new();
    for (hash, (market, status)) in &found {
        if status.is_live() {
            by_market.entry(*market).or_default().push(*hash);
        }
    }
    let mut cancelled = BTreeSet::new();
    for (market, hashes) in by_market {
        cancelled.extend(cancel_in(engine, market, wallet, CancelTarget::Hashes(hashes)).await?);
    }
    let mut hashes = Vec::with_capacity(cancelled.len());
    let mut missed = Vec::new();
    for h in listed {
        if cancelled.contains(h) {
            if !hashes.contains(h) {
                hashes.push(*h);
            }
        } else if !missed.contains(h) {
            missed.push(*h);
        }
    }
    // Read after the matchers committed: an order filled or cancelled meanwhile says so.
    let statuses = store.orders_among(wallet, &missed).await?;
    let not_cancelled = missed
        .into_iter()
        .map(|h| (h, NotCancelled::of(statuses.get(&h).map(|(_, s)| *s))))
        .collect();
    Ok(Cancelled {
        hashes,
        not_cancelled,
    })
}

/// One market's part of a cancel, through its matcher.
pub(crate) async fn cancel_in(
    engine: &Engine,
    market: MarketKey,
    wallet: Wallet,
    target: CancelTarget,
) -> Result<Vec<OrderHash>, ServiceError> {
    engine
        .cancel(market, wallet, target)
        .await
        .map_err(ServiceError::from)
}

/// Whether a closed order counts as filled for a cancel.
pub(crate) fn is_filled(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Matched | OrderStatus::Filled)
}
