//! The fee of one side of a fill, by the CTF exchange's formula (docs/engine.md, "Fees"), so an
//! on-chain settlement would charge the same.
//!
//! Each side pays on its own fill, from its own order's `fee_rate_bps` and its own *signed*
//! price `P` (not the execution price): with `ONE = 10^18`, BUY `P = maker_amount * ONE /
//! taker_amount`, SELL `P = taker_amount * ONE / maker_amount`, integer division. On the
//! `tokens` the fill moves, a BUY pays `floor(bps * min(P, ONE - P) * tokens / (P * 10000))`
//! outcome tokens, a SELL `floor(bps * min(P, ONE - P) * tokens / (10000 * ONE))` collateral:
//! each in what it receives. Rounding is down, for the order.
//!
//! **Always computable, never more than what is received.** The core refuses an order whose
//! signed amounts are not those of its price and size (`Scale::signed_amounts`, as acceptance
//! checked them) or whose rate is above [`FeeTerms::MAX_RATE_BPS`]. For such an order:
//! - the denominators are its `shares`, not zero (a zero size is refused too);
//! - nothing overflows: `shares < 2^177` (a `u64` of hundredths at up to 36 decimals), so
//!   `maker_amount * ONE < 2^237` and `bps * min(P, ONE - P) * tokens < 2^14 * 2^59 * 2^177`;
//! - a BUY's fee is at most `tokens * min(P, ONE - P) / P <= tokens`;
//! - a SELL's fee is at most `tokens * P / ONE <= tokens * ticks / 100`, the fill's exact
//!   collateral at its limit, and it executes at its limit or better; being whole, the fee is
//!   then at most that exact collateral rounded down, which the rounding rule never pays less.
//!
//! So [`FeeTerms::fee`] returns `Some` for every fill of a placed order, and what each side
//! receives less its fee is never negative.

use alloy_primitives::U256;
use types::{Side, Wei};

const ONE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
const BPS: U256 = U256::from_limbs([10_000, 0, 0, 0]);

/// The signed amounts and fee rate of an order, as it was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeTerms {
    pub side: Side,
    pub maker_amount: Wei,
    pub taker_amount: Wei,
    pub fee_rate_bps: u32,
}

impl FeeTerms {
    /// The highest rate the core accepts: 100%. The contract's own cap is lower.
    pub const MAX_RATE_BPS: u32 = 10_000;

    /// `P`, the order's signed price scaled by `ONE`; `None` when its denominator is zero.
    pub fn signed_price(&self) -> Option<U256> {
        let (num, den) = match self.side {
            Side::Buy => (self.maker_amount.0, self.taker_amount.0),
            Side::Sell => (self.taker_amount.0, self.maker_amount.0),
        };
        num.checked_mul(ONE)?.checked_div(den)
    }

    /// The fee on a fill that moves `tokens`: outcome tokens for a BUY, collateral for a SELL.
    /// Zero at a zero rate or a zero price; `None` when the signed price has a zero
    /// denominator or a product overflows 256 bits, neither of which an order the core accepted
    /// reaches (module docs).
    pub fn fee(&self, tokens: Wei) -> Option<Wei> {
        if self.fee_rate_bps == 0 {
            return Some(Wei::ZERO);
        }
        let p = self.signed_price()?;
        if p.is_zero() {
            return Some(Wei::ZERO);
        }
        let spread = p.min(ONE.saturating_sub(p));
        let numerator = U256::from(self.fee_rate_bps)
            .checked_mul(spread)?
            .checked_mul(tokens.0)?;
        let denominator = match self.side {
            Side::Buy => p.checked_mul(BPS)?,
            Side::Sell => BPS.checked_mul(ONE)?,
        };
        Some(Wei(numerator / denominator))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e18(whole_hundredths: u64) -> Wei {
        Wei(U256::from(whole_hundredths) * U256::from(10u64).pow(U256::from(16)))
    }

    fn terms(side: Side, maker: Wei, taker: Wei, bps: u32) -> FeeTerms {
        FeeTerms {
            side,
            maker_amount: maker,
            taker_amount: taker,
            fee_rate_bps: bps,
        }
    }

    #[test]
    fn a_buy_pays_in_tokens_on_the_cheaper_sides_price() {
        // BUY 100 shares at 0.40 (40 collateral) at 100 bps; a fill of 10 shares:
        // 100 * 0.40 * 10 / (0.40 * 10000) = 0.1 share.
        let t = terms(Side::Buy, e18(4_000), e18(10_000), 100);
        assert_eq!(
            t.signed_price(),
            Some(ONE * U256::from(4u8) / U256::from(10u8))
        );
        assert_eq!(t.fee(e18(1_000)), Some(e18(10)));
        // At 0.80 the cheaper side is 0.20: 100 * 0.20 * 10 / (0.80 * 10000) = 0.025 share.
        let t = terms(Side::Buy, e18(8_000), e18(10_000), 100);
        assert_eq!(
            t.fee(e18(1_000)),
            Some(Wei(U256::from(25u8) * U256::from(10u64).pow(U256::from(15))))
        );
    }

    #[test]
    fn a_sell_pays_in_collateral() {
        // SELL 100 shares at 0.40 at 100 bps; a fill of 10 shares: 100 * 0.40 * 10 / 10000 =
        // 0.04 collateral.
        let t = terms(Side::Sell, e18(10_000), e18(4_000), 100);
        assert_eq!(t.fee(e18(1_000)), Some(e18(4)));
    }

    #[test]
    fn no_fee_at_a_zero_rate_or_a_zero_price() {
        assert_eq!(
            terms(Side::Buy, e18(40), e18(100), 0).fee(e18(100)),
            Some(Wei::ZERO)
        );
        assert_eq!(
            terms(Side::Sell, e18(100), Wei::ZERO, 100).fee(e18(100)),
            Some(Wei::ZERO)
        );
        assert_eq!(
            terms(Side::Buy, e18(40), Wei::ZERO, 100).fee(e18(100)),
            None
        );
    }

    proptest! {
        /// A fee never exceeds what the side receives on that fill, at any rate up to 100%.
        #[test]
        fn a_fee_never_exceeds_what_the_side_receives(
            ticks in 1u64..=100, shares in 1u64..1_000_000, fill in 1u64..1_000_000,
            bps in 0u32..=10_000,
        ) {
            let shares = U256::from(shares) * U256::from(10u64).pow(U256::from(16));
            let fill = Wei(U256::from(fill) * U256::from(10u64).pow(U256::from(16)));
            let notional = shares * U256::from(ticks);
            let hundred = U256::from(100u8);
            let buy = terms(Side::Buy, Wei(notional.div_ceil(hundred)), Wei(shares), bps);
            prop_assert!(buy.fee(fill).unwrap() <= fill);
            let sell = terms(Side::Sell, Wei(shares), Wei(notional / hundred), bps);
            let price = U256::from(ticks) * fill.0 / hundred;
            prop_assert!(sell.fee(fill).unwrap().0 <= price);
        }
    }
}
