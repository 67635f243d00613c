//! The ledger moves of a matcher batch, applied to the balances and positions the batch locked.
//!
//! The matcher turns each settled fill and each closed order into [`Move`]s, in the order they
//! happened; at commit it locks every balance and position the moves name, applies them here,
//! and writes the results. Applying is pure, so the rules (who is debited, who is credited, how
//! a sale's cost basis and realised profit are figured) are tested without a database.

use std::collections::{BTreeMap, HashMap};

use store::positions::PositionRecord;
use types::balance::{Asset, Balance};
use types::{MarketKey, Outcome, TokenId, Wallet, Wei, I256, U256};

/// One change to the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// A fill spends what an order held reserved.
    Spend {
        wallet: Wallet,
        asset: Asset,
        amount: Wei,
    },
    /// Credited to what a wallet may spend.
    Credit {
        wallet: Wallet,
        asset: Asset,
        amount: Wei,
    },
    /// Taken from what a wallet may spend: the fee wallet handing back a rounding unit, or the
    /// collateral a merge frees from the conditional-tokens contract.
    Debit {
        wallet: Wallet,
        asset: Asset,
        amount: Wei,
    },
    /// What a closed order still held reserved goes back to available.
    Release {
        wallet: Wallet,
        asset: Asset,
        amount: Wei,
    },
    /// A BUY fill: `cost` collateral paid for tokens of `token` (its cost basis grows).
    Bought { position: PositionKey, cost: Wei },
    /// A SELL fill: `tokens` sold for `proceeds` collateral (after the fee). Comes before the
    /// `Spend` of those tokens: the cost basis taken off is the average over what was held.
    Sold {
        position: PositionKey,
        tokens: Wei,
        proceeds: Wei,
    },
}

/// Which position a move changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionKey {
    pub wallet: Wallet,
    pub token: TokenId,
    pub market: MarketKey,
    pub outcome: Outcome,
}

/// Why moves could not be applied: never expected (the matcher only spends what it reserved),
/// so the batch is rolled back and the market reloaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A move takes more than the balance holds (the message names the wallet, the asset and
    /// the amounts).
    #[error("{0}")]
    Short(String),
    #[error("{0}: a balance would exceed 2^256 - 1")]
    Overflow(String),
}

impl Move {
    /// The balance the move changes, if it changes one.
    pub fn balance(&self) -> Option<(Wallet, Asset)> {
        match self {
            Move::Spend { wallet, asset, .. }
            | Move::Credit { wallet, asset, .. }
            | Move::Debit { wallet, asset, .. }
            | Move::Release { wallet, asset, .. } => Some((*wallet, *asset)),
            Move::Bought { .. } | Move::Sold { .. } => None,
        }
    }

    /// The position the move changes, if it changes one.
    pub fn position(&self) -> Option<PositionKey> {
        match self {
            Move::Bought { position, .. } | Move::Sold { position, .. } => Some(*position),
            _ => None,
        }
    }
}

/// Applies `moves` in order. `balances` must hold every balance the moves name (a zero
/// balance for one that has no row); a position missing from `positions` starts at zero.
pub fn apply(
    moves: &[Move],
    balances: &mut BTreeMap<(Wallet, Asset), Balance>,
    positions: &mut HashMap<(Wallet, TokenId), PositionRecord>,
) -> Result<(), LedgerError> {
    for m in moves {
        match m {
            Move::Spend {
                wallet,
                asset,
                amount,
            } => {
                let b = balances.entry((*wallet, *asset)).or_default();
                b.reserved = take(b.reserved, *amount, *wallet, *asset, "spending")?;
            }
            Move::Credit {
                wallet,
                asset,
                amount,
            } => {
                let b = balances.entry((*wallet, *asset)).or_default();
                b.available = add(b.available, *amount, *wallet, *asset)?;
            }
            Move::Debit {
                wallet,
                asset,
                amount,
            } => {
                let b = balances.entry((*wallet, *asset)).or_default();
                b.available = take(b.available, *amount, *wallet, *asset, "debiting")?;
            }
            Move::Release {
                wallet,
                asset,
                amount,
            } => {
                let b = balances.entry((*wallet, *asset)).or_default();
                b.reserved = take(b.reserved, *amount, *wallet, *asset, "releasing")?;
                b.available = add(b.available, *amount, *wallet, *asset)?;
            }
            Move::Bought { position, cost } => {
                let p = position_of(positions, position);
                p.cost = add(p.cost, *cost, position.wallet, Asset::Collateral)?;
            }
            Move::Sold {
                position,
                tokens,
                proceeds,
            } => {
                let held = balances
                    .get(&(position.wallet, Asset::Token(position.token)))
                    .map_or(U256::ZERO, |b| b.available.0.saturating_add(b.reserved.0));
                let p = position_of(positions, position);
                // The average cost of what was held, taken off for what was sold (rounded
                // down, so the basis left never goes below zero).
                let removed = if held.is_zero() {
                    U256::ZERO
                } else {
                    p.cost.0.saturating_mul(tokens.0.min(held)) / held
                };
                p.cost = Wei(p.cost.0 - removed.min(p.cost.0));
                p.realized_pnl = p
                    .realized_pnl
                    .saturating_add(signed(proceeds.0))
                    .saturating_sub(signed(removed));
            }
        }
    }
    Ok(())
}

fn position_of<'p>(
    positions: &'p mut HashMap<(Wallet, TokenId), PositionRecord>,
    key: &PositionKey,
) -> &'p mut PositionRecord {
    positions
        .entry((key.wallet, key.token))
        .or_insert_with(|| PositionRecord {
            wallet: key.wallet,
            token_id: key.token,
            market: key.market,
            outcome: key.outcome,
            cost: Wei::ZERO,
            realized_pnl: I256::ZERO,
        })
}

/// A collateral amount as a signed one; amounts above 2^255 (never reached by a real balance)
/// saturate.
fn signed(v: U256) -> I256 {
    I256::try_from(v).unwrap_or(I256::MAX)
}

fn take(
    from: Wei,
    amount: Wei,
    wallet: Wallet,
    asset: Asset,
    what: &'static str,
) -> Result<Wei, LedgerError> {
    from.checked_sub(amount).ok_or_else(|| {
        LedgerError::Short(format!(
            "{wallet} {asset}: {what} {amount} but only {from} is there"
        ))
    })
}

fn add(to: Wei, amount: Wei, wallet: Wallet, asset: Asset) -> Result<Wei, LedgerError> {
    to.checked_add(amount)
        .ok_or_else(|| LedgerError::Overflow(format!("{wallet} {asset}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{ChainId, ConditionId, B256};

    fn wei(v: u64) -> Wei {
        Wei(U256::from(v))
    }

    fn wallet(n: u8) -> Wallet {
        Wallet(types::Address::repeat_byte(n))
    }

    fn position(w: Wallet) -> PositionKey {
        PositionKey {
            wallet: w,
            token: TokenId(U256::from(7u8)),
            market: MarketKey {
                condition_id: ConditionId(B256::repeat_byte(1)),
                chain_id: ChainId(56),
            },
            outcome: Outcome::Yes,
        }
    }

    fn token() -> Asset {
        Asset::Token(TokenId(U256::from(7u8)))
    }

    #[test]
    fn a_sale_takes_off_the_average_cost_of_what_was_held_and_realises_the_rest() {
        let w = wallet(1);
        let mut balances = BTreeMap::from([(
            (w, token()),
            Balance {
                available: wei(60),
                reserved: wei(40),
            },
        )]);
        let mut positions = HashMap::new();
        let moves = [
            // 100 tokens bought for 50 (0.50 each).
            Move::Bought {
                position: position(w),
                cost: wei(50),
            },
            // 40 of them sold for 30 (0.75 each): cost 20 off, 10 realised.
            Move::Sold {
                position: position(w),
                tokens: wei(40),
                proceeds: wei(30),
            },
            Move::Spend {
                wallet: w,
                asset: token(),
                amount: wei(40),
            },
        ];
        apply(&moves, &mut balances, &mut positions).expect("the moves apply");
        let p = &positions[&(w, position(w).token)];
        assert_eq!(
            (p.cost, p.realized_pnl),
            (wei(30), I256::try_from(10).expect("fits"))
        );
        assert_eq!(balances[&(w, token())].reserved, Wei::ZERO);
        assert_eq!(balances[&(w, token())].available, wei(60));
    }

    #[test]
    fn a_sale_below_cost_realises_a_loss() {
        let w = wallet(2);
        let mut balances = BTreeMap::from([(
            (w, token()),
            Balance {
                available: Wei::ZERO,
                reserved: wei(10),
            },
        )]);
        let mut positions = HashMap::new();
        let moves = [
            Move::Bought {
                position: position(w),
                cost: wei(8),
            },
            Move::Sold {
                position: position(w),
                tokens: wei(10),
                proceeds: wei(5),
            },
        ];
        apply(&moves, &mut balances, &mut positions).expect("the moves apply");
        let p = &positions[&(w, position(w).token)];
        assert_eq!(
            (p.cost, p.realized_pnl),
            (Wei::ZERO, I256::try_from(-3).expect("fits"))
        );
    }

    #[test]
    fn a_release_moves_reserved_back_to_available_and_overspending_is_refused() {
        let w = wallet(3);
        let mut balances = BTreeMap::from([(
            (w, Asset::Collateral),
            Balance {
                available: wei(1),
                reserved: wei(5),
            },
        )]);
        let mut positions = HashMap::new();
        let release = Move::Release {
            wallet: w,
            asset: Asset::Collateral,
            amount: wei(5),
        };
        apply(&[release], &mut balances, &mut positions).expect("releases");
        assert_eq!(
            balances[&(w, Asset::Collateral)],
            Balance {
                available: wei(6),
                reserved: Wei::ZERO
            }
        );
        let spend = Move::Spend {
            wallet: w,
            asset: Asset::Collateral,
            amount: wei(1),
        };
        assert!(matches!(
            apply(&[spend], &mut balances, &mut positions),
            Err(LedgerError::Short(m)) if m.contains("spending 1 but only 0")
        ));
    }
}
