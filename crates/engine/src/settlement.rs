//! The settlement seam: where a matched trade becomes final.
//!
//! The matcher asks its [`Settlement`] about each trade of a batch before the batch commits.
//! The default, [`InternalLedger`], settles at once: the ledger moves are the settlement, the
//! fills are `CONFIRMED` and a filled order goes `MATCHED` → `FILLED` in the same batch. A
//! backend that refuses a trade leaves it unsettled: its fills are `FAILED`, nothing of it
//! moves, and both orders end `MATCH_FAILED` with what they still held reserved released.
//!
//! An on-chain backend would settle asynchronously (submit the match, wait for the receipt);
//! it would answer "pending" here and report the outcome later as a command of the market's
//! matcher, in a batch of its own. That path is not built.

use crate::core::Fill;

/// Why a trade was not settled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("settlement failed: {0}")]
pub struct SettlementError(pub String);

/// Settles matched trades.
pub trait Settlement: Send + Sync + 'static {
    /// Settles one trade (both of its sides) or says why not.
    fn settle(&self, trade: &Fill) -> Result<(), SettlementError>;
}

/// The default: the internal ledger's moves are the settlement.
#[derive(Clone, Copy, Debug, Default)]
pub struct InternalLedger;

impl Settlement for InternalLedger {
    fn settle(&self, _trade: &Fill) -> Result<(), SettlementError> {
        Ok(())
    }
}
