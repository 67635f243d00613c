//! Exact amounts of a fill, and who gets each rounding remainder.
//!
//! Orders and fills are whole hundredths of a share ([`Size`]): a size has at most 2 decimals
//! and a fill is the smaller of two remaining sizes. In base units a hundredth is
//! `10^(decimals - 2)` tokens, and (as in the signed amounts and the CTF, where a YES + NO pair
//! is worth one base unit of collateral per base unit of token) `h` hundredths at `e` ticks cost
//! `h * e * 10^(decimals - 4)` collateral. From 4 decimals up that is an integer and nothing is
//! ever rounded; with 2 or 3 decimals it can end in a fraction of a base unit.
//!
//! **The rounding rule.** Each order keeps its *notional*: the exact sum of `hundredths *
//! ticks` over its fills, each at its own execution price. What it has paid (BUY) or received
//! (SELL) after any number of fills is that notional in collateral, rounded against the order:
//! up for a BUY, down for a SELL. A fill moves the difference between the order's total after
//! and before it. So a BUY never pays more than `ceil(filled * price)`, its reservation when
//! full; a SELL never receives less than `floor(filled * price)`, what it signed for; both at
//! their limit price or better. The two sides of a fill are rounded each on its own, so they
//! can differ by one base unit; the difference is the fee wallet's (see `Fill::rounding`).
//! Summed over all orders, the fee wallet's share is `sum over BUYs of (paid - exact) + sum over
//! SELLs of (exact - received)`, never negative: a fill that takes a unit from it only gives back
//! a unit an earlier fill of the same orders left there. Every asset is conserved.

use alloy_primitives::U256;
use types::{Side, Size, Ticks, Wei};

/// The base units of a market's outcome tokens, which the signed amounts also use for
/// collateral: `decimals` from 2 (a hundredth of a share is one base unit) to 36.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    decimals: u8,
    /// `10^(decimals - 2)`: base units of token per hundredth of a share.
    per_hundredth: U256,
    /// `10^(decimals - 4)` from 4 decimals up: base units of collateral per hundredth-tick.
    per_hundredth_tick: Option<U256>,
}

impl Scale {
    pub const DECIMALS: std::ops::RangeInclusive<u8> = 2..=36;

    pub fn new(decimals: u8) -> Option<Scale> {
        if !Scale::DECIMALS.contains(&decimals) {
            return None;
        }
        let ten = U256::from(10u8);
        Some(Scale {
            decimals,
            per_hundredth: ten.pow(U256::from(decimals - 2)),
            per_hundredth_tick: decimals
                .checked_sub(4)
                .map(|extra| ten.pow(U256::from(extra))),
        })
    }

    pub fn decimals(self) -> u8 {
        self.decimals
    }

    /// A size in base units of the outcome token.
    pub fn tokens(self, size: Size) -> Wei {
        Wei(U256::from(size.hundredths()) * self.per_hundredth)
    }

    /// `(maker_amount, taker_amount)` of an order of `side` for `size` at `price`, as it signs
    /// them (api.md 5.1): with `shares` its size in base units, a BUY gives
    /// `ceil(shares * ticks / 100)` collateral for `shares`, a SELL `shares` for
    /// `floor(shares * ticks / 100)`. No overflow: `shares < 2^64 * 10^34 < 2^177`.
    pub fn signed_amounts(self, side: Side, price: Ticks, size: Size) -> (Wei, Wei) {
        let shares = self.tokens(size).0;
        let notional = shares * U256::from(price.get());
        let hundred = U256::from(100u8);
        match side {
            Side::Buy => (Wei(notional.div_ceil(hundred)), Wei(shares)),
            Side::Sell => (Wei(shares), Wei(notional / hundred)),
        }
    }

    /// What an order of `side` has paid or received in total for `notional` (hundredths times
    /// ticks), rounded against it: up for a BUY, down for a SELL.
    pub fn collateral(self, side: Side, notional: u128) -> Wei {
        match self.per_hundredth_tick {
            Some(unit) => Wei(U256::from(notional) * unit),
            None => {
                // 2 or 3 decimals: divide by 100 or 10; both fit u128 (notional < 2^71).
                let divisor = 10u128.pow(u32::from(4 - self.decimals));
                let whole = match side {
                    Side::Buy => notional.div_ceil(divisor),
                    Side::Sell => notional / divisor,
                };
                Wei(U256::from(whole))
            }
        }
    }

    /// The collateral of one fill for one side: its total after the fill, less its total before
    /// (module docs: the rounding rule).
    pub fn fill_collateral(self, side: Side, notional_before: u128, added: u128) -> Wei {
        match self.per_hundredth_tick {
            // Exact: no need to take a difference.
            Some(unit) => Wei(U256::from(added) * unit),
            None => {
                let after = self.collateral(side, notional_before + added);
                let before = self.collateral(side, notional_before);
                Wei(after.0 - before.0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wei(v: u64) -> Wei {
        Wei(U256::from(v))
    }

    #[test]
    fn from_four_decimals_up_every_amount_is_exact() {
        let s = Scale::new(18).unwrap();
        // 10 shares at 0.55: 5.5 collateral.
        let notional = 1_000u128 * 55;
        let expected = Wei(U256::from(55u8) * U256::from(10u8).pow(U256::from(17u8)));
        assert_eq!(s.collateral(Side::Buy, notional), expected);
        assert_eq!(s.collateral(Side::Sell, notional), expected);
        assert_eq!(s.fill_collateral(Side::Buy, 7, notional), expected);
        assert_eq!(
            s.tokens(Size::from_hundredths(1_000)),
            Wei(U256::from(10u8).pow(U256::from(19u8)))
        );
        assert_eq!(Scale::new(4).unwrap().collateral(Side::Buy, 55), wei(55));
    }

    #[test]
    fn rounding_goes_against_the_order_cumulatively() {
        // 2 decimals: 0.01 share is one base unit; at 0.50 it is half a unit of collateral.
        let s = Scale::new(2).unwrap();
        let half = 50u128;
        assert_eq!(s.fill_collateral(Side::Buy, 0, half), wei(1));
        assert_eq!(s.fill_collateral(Side::Buy, half, half), wei(0));
        assert_eq!(s.fill_collateral(Side::Sell, 0, half), wei(0));
        assert_eq!(s.fill_collateral(Side::Sell, half, half), wei(1));
        // 3 decimals: a hundredth is 10 base units; at 0.55 it is 5.5.
        let s3 = Scale::new(3).unwrap();
        assert_eq!(s3.collateral(Side::Buy, 55), wei(6));
        assert_eq!(s3.collateral(Side::Sell, 55), wei(5));
        assert_eq!(s3.tokens(Size::from_hundredths(3)), wei(30));
    }

    #[test]
    fn decimals_outside_two_to_thirty_six_have_no_scale() {
        assert_eq!(Scale::new(1), None);
        assert_eq!(Scale::new(37), None);
        assert!(Scale::new(36).is_some());
    }

    proptest! {
        /// The core checks an order's signed amounts with the formula acceptance checked them
        /// with.
        #[test]
        fn signed_amounts_are_the_ones_acceptance_checks(
            decimals in Scale::DECIMALS,
            ticks in 1u8..=100,
            hundredths in any::<u64>(),
            buy in any::<bool>(),
        ) {
            let side = if buy { Side::Buy } else { Side::Sell };
            let price = Ticks::new(ticks).expect("1..=100 ticks");
            let size = Size::from_hundredths(hundredths);
            let scale = Scale::new(decimals).expect("decimals in range");
            let want = signing::signed_amounts(side, price, size, decimals)
                .expect("every size fits at up to 36 decimals");
            prop_assert_eq!(
                scale.signed_amounts(side, price, size),
                (Wei(want.maker), Wei(want.taker))
            );
        }
    }
}
