//! Steps 10 and 11 of docs/api.md 6.2 for one order: refused as a duplicate, or as more than the
//! wallet may spend, or reserved against what the group decided before it.

use std::collections::{BTreeMap, HashMap, HashSet};

use store::balances::{Asset, Balance};
use store::orders::OrderRecord;
use store::StoreError;
use types::{OrderHash, Wallet, Wei};

/// Why a validated order was not accepted (steps 10 and 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An order with this hash is stored already, or was accepted earlier in the group.
    Duplicate,
    /// What the wallet may spend of the order's asset is less than its reservation.
    InsufficientBalance {
        /// The order's reservation (its `maker_amount`).
        needs: Wei,
        /// What the wallet could spend of the asset when the order was judged: after what
        /// the orders decided before it in the group reserved.
        available: Wei,
    },
}

/// Per order of a submission, in order: accepted, or why not.
pub type Outcomes = Vec<Result<(), Refusal>>;

/// What a wallet may spend when the internal ledger is not the authority: the total it holds
/// of an asset (for example on chain). The spendable amount is then that total less what its
/// open orders already reserve; the ledger's `available` column is not consulted.
pub type Holdings = HashMap<(Wallet, Asset), Wei>;

/// The group's balances as decided so far: each with whether the group changed it.
pub(crate) type Decided = BTreeMap<(Wallet, Asset), (Balance, bool)>;

/// The wallet's reserved total once `o` is accepted, or why it is refused, against the stored
/// hashes and what the group decided before it.
pub(crate) fn judge(
    o: &OrderRecord,
    seen: &HashSet<OrderHash>,
    balances: &Decided,
    holdings: &Holdings,
) -> Result<Result<Wei, Refusal>, StoreError> {
    if seen.contains(&o.order_hash) {
        return Ok(Err(Refusal::Duplicate));
    }
    let pair = (o.wallet, o.reserved_asset());
    let Some((balance, _)) = balances.get(&pair) else {
        return Err(StoreError::Corrupt(format!(
            "no balance locked for {}",
            pair.0
        )));
    };
    let spendable = match holdings.get(&pair) {
        Some(total) => total.checked_sub(balance.reserved).unwrap_or_default(),
        None => balance.available,
    };
    if spendable < o.reserved {
        return Ok(Err(Refusal::InsufficientBalance {
            needs: o.reserved,
            available: spendable,
        }));
    }
    let reserved = balance
        .reserved
        .checked_add(o.reserved)
        .ok_or(StoreError::BalanceOutOfRange)?;
    Ok(Ok(reserved))
}

/// Books an order [`judge`] accepted and that is stored: its hash is seen, and its wallet's
/// balance holds `reserved` (and, on the ledger, that much less available).
pub(crate) fn reserve(
    o: &OrderRecord,
    seen: &mut HashSet<OrderHash>,
    balances: &mut Decided,
    holdings: &Holdings,
    reserved: Wei,
) {
    seen.insert(o.order_hash);
    let pair = (o.wallet, o.reserved_asset());
    if let Some((balance, changed)) = balances.get_mut(&pair) {
        balance.reserved = reserved;
        if !holdings.contains_key(&pair) {
            // Cannot underflow: spendable (= available) >= o.reserved was checked by `judge`.
            balance.available = balance
                .available
                .checked_sub(o.reserved)
                .unwrap_or_default();
        }
        *changed = true;
    }
}
