//! What this process last knew of each balance it accepted orders against: the starting point
//! of an optimistic acceptance (`crate::acceptance::optimistic`), which writes only if the stored balance
//! still equals the hint. A hint is never trusted: a stale one costs a retry, not a wrong
//! reservation.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use types::Wallet;

use types::balance::{Asset, Balance};

/// Hints kept at most; past it the map starts over (a wallet whose hint was dropped takes the
/// locking path once, which hints it again).
const MAX_HINTS: usize = 100_000;

#[derive(Default)]
pub(crate) struct BalanceHints {
    known: Mutex<HashMap<(Wallet, Asset), Balance>>,
}

impl fmt::Debug for BalanceHints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BalanceHints").finish_non_exhaustive()
    }
}

impl BalanceHints {
    /// The hint of every pair, or `None` when any of them has none.
    pub(crate) fn get_all<'a>(
        &self,
        pairs: impl IntoIterator<Item = &'a (Wallet, Asset)>,
    ) -> Option<Vec<((Wallet, Asset), Balance)>> {
        let known = self.lock();
        pairs
            .into_iter()
            .map(|pair| known.get(pair).map(|balance| (*pair, *balance)))
            .collect()
    }

    /// Records balances as they are committed now.
    pub(crate) fn record<'a>(
        &self,
        balances: impl IntoIterator<Item = (&'a (Wallet, Asset), &'a Balance)>,
    ) {
        let mut known = self.lock();
        for (pair, balance) in balances {
            if known.len() >= MAX_HINTS && !known.contains_key(pair) {
                known.clear();
            }
            known.insert(*pair, *balance);
        }
    }

    pub(crate) fn forget<'a>(&self, pairs: impl IntoIterator<Item = &'a (Wallet, Asset)>) {
        let mut known = self.lock();
        for pair in pairs {
            known.remove(pair);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Wallet, Asset), Balance>> {
        // A panic while holding the lock cannot leave a half-written hint that matters: hints
        // are checked against the database before anything is written.
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{Address, Wei, U256};

    fn pair(byte: u8) -> (Wallet, Asset) {
        (Wallet(Address::repeat_byte(byte)), Asset::Collateral)
    }

    fn balance(available: u64) -> Balance {
        Balance {
            available: Wei(U256::from(available)),
            reserved: Wei::ZERO,
        }
    }

    #[test]
    fn a_group_is_hinted_only_when_every_pair_is() {
        let hints = BalanceHints::default();
        hints.record([(&pair(1), &balance(5))]);
        assert_eq!(hints.get_all(&[pair(1)]), Some(vec![(pair(1), balance(5))]));
        assert_eq!(hints.get_all(&[pair(1), pair(2)]), None);
        hints.forget(&[pair(1)]);
        assert_eq!(hints.get_all(&[pair(1)]), None);
    }
}
