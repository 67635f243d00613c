//! Where acceptance learns what a wallet may spend: the seam for an on-chain balance source.
//!
//! Reservations always live in the store's ledger (`balances.reserved`, and per order
//! `orders.reserved`). What differs is the authority on what a wallet holds:
//! - [`InternalLedger`] (the default): the ledger's `available` column, fed by
//!   `POST /admin/v1/balances` and, later, by settlement. A reservation moves an amount from
//!   available to reserved; a cancel moves what is left back.
//! - an external source (for example the wallet's ERC-20 and ERC-1155 balances read from BSC):
//!   it returns the total a wallet holds of each asset, and the wallet may spend that total
//!   less what its open orders already reserve. The ledger's `available` is then not used.
//!
//! The acceptance writer asks once per group, before its transaction, for every (wallet,
//! asset) the group's orders spend.

use std::future::Future;

use crate::acceptance::reservations::Holdings;
use store::balances::Asset;
use types::Wallet;

/// Why an external balance source could not answer; the group's requests get
/// `SERVICE_DEGRADED` and nothing is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("balance source unavailable: {0}")]
pub struct BalanceSourceError(pub String);

/// The authority on what wallets hold.
pub trait BalanceSource: Send + Sync + 'static {
    /// The total held of each of `pairs` for the pairs this source is the authority on; a pair
    /// left out is judged by the internal ledger's available balance.
    fn holdings(
        &self,
        pairs: &[(Wallet, Asset)],
    ) -> impl Future<Output = Result<Holdings, BalanceSourceError>> + Send;
}

/// The default: the internal ledger is the authority on every pair.
#[derive(Clone, Copy, Debug, Default)]
pub struct InternalLedger;

impl BalanceSource for InternalLedger {
    async fn holdings(&self, _pairs: &[(Wallet, Asset)]) -> Result<Holdings, BalanceSourceError> {
        Ok(Holdings::new())
    }
}
