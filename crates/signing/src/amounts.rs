//! The signed amounts an order must carry, recomputed from its price and size (docs/api.md 7.3).
//!
//! With `ticks = price * 100` and `shares = size * 10^decimals`, both integers:
//! BUY pays `ceil(shares * ticks / 100)` collateral for `shares` tokens; SELL gives `shares`
//! tokens for `floor(shares * ticks / 100)` collateral. Rounding always favours the
//! counterparty, never the maker. Everything is exact U256 arithmetic.

use alloy_primitives::U256;
use types::{Side, Size, Ticks};

/// `makerAmount` and `takerAmount` of a signed order, in base units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedAmounts {
    pub maker: U256,
    pub taker: U256,
}

/// Why a size has no exact amount in base units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// A token with fewer than two decimals cannot hold every hundredth of a share.
    #[error("is finer than the token's {0} decimals allow")]
    FinerThanDecimals(u8),
    #[error("is too large")]
    Overflow,
}

/// `size * 10^decimals`: the size in the token's base units.
pub fn shares(size: Size, decimals: u8) -> Result<U256, AmountError> {
    let hundredths = U256::from(size.hundredths());
    let hundred = U256::from(100u8);
    match decimals.checked_sub(2) {
        Some(extra) => pow10(extra).and_then(|p| hundredths.checked_mul(p)),
        None => {
            let scaled = hundredths
                .checked_mul(pow10(decimals).ok_or(AmountError::Overflow)?)
                .ok_or(AmountError::Overflow)?;
            if !(scaled % hundred).is_zero() {
                return Err(AmountError::FinerThanDecimals(decimals));
            }
            Some(scaled / hundred)
        }
    }
    .ok_or(AmountError::Overflow)
}

fn pow10(exp: u8) -> Option<U256> {
    U256::from(10u8).checked_pow(U256::from(exp))
}

/// The amounts of an order of `size` shares at `price` on a token with `decimals`.
pub fn signed_amounts(
    side: Side,
    price: Ticks,
    size: Size,
    decimals: u8,
) -> Result<SignedAmounts, AmountError> {
    let shares = shares(size, decimals)?;
    let notional = shares
        .checked_mul(U256::from(price.get()))
        .ok_or(AmountError::Overflow)?;
    let hundred = U256::from(100u8);
    Ok(match side {
        Side::Buy => SignedAmounts {
            maker: notional.div_ceil(hundred),
            taker: shares,
        },
        Side::Sell => SignedAmounts {
            maker: shares,
            taker: notional / hundred,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ticks(t: u8) -> Ticks {
        Ticks::new(t).expect("test ticks are 1..=100")
    }

    #[test]
    fn the_contracts_example_amounts() {
        // 10 shares at 0.55 on an 18-decimal token.
        let ten = Size::from_hundredths(1_000);
        let e18 = U256::from(10u64).pow(U256::from(18));
        let buy = signed_amounts(Side::Buy, ticks(55), ten, 18).unwrap();
        assert_eq!(buy.maker, U256::from(55u8) * e18 / U256::from(10u8));
        assert_eq!(buy.taker, U256::from(10u8) * e18);
        let sell = signed_amounts(Side::Sell, ticks(55), ten, 18).unwrap();
        assert_eq!(
            sell,
            SignedAmounts {
                maker: buy.taker,
                taker: buy.maker
            }
        );
    }

    #[test]
    fn rounding_goes_against_the_maker_when_units_are_coarse() {
        // 0-decimal token: 0.01 shares cannot exist; 1 share at 0.55 is 0.55 of a base unit.
        assert_eq!(
            shares(Size::from_hundredths(1), 0),
            Err(AmountError::FinerThanDecimals(0))
        );
        let one = Size::from_hundredths(100);
        let buy = signed_amounts(Side::Buy, ticks(55), one, 0).unwrap();
        assert_eq!((buy.maker, buy.taker), (U256::from(1u8), U256::from(1u8)));
        let sell = signed_amounts(Side::Sell, ticks(55), one, 0).unwrap();
        assert_eq!((sell.maker, sell.taker), (U256::from(1u8), U256::ZERO));
        // 1 decimal: 0.10 shares is one base unit.
        assert_eq!(shares(Size::from_hundredths(10), 1), Ok(U256::from(1u8)));
        assert_eq!(
            shares(Size::from_hundredths(15), 1),
            Err(AmountError::FinerThanDecimals(1))
        );
    }

    #[test]
    fn huge_sizes_overflow_instead_of_wrapping() {
        let max = Size::from_hundredths(u64::MAX);
        assert_eq!(shares(max, 78), Err(AmountError::Overflow));
        assert_eq!(
            shares(Size::from_hundredths(1), 255),
            Err(AmountError::Overflow)
        );
        // 10^77 fits in a U256 but not once multiplied by a size above 1.15 shares.
        assert!(shares(Size::from_hundredths(100), 77).is_ok());
        assert_eq!(
            signed_amounts(Side::Buy, ticks(100), Size::from_hundredths(1_000), 76),
            Err(AmountError::Overflow)
        );
    }

    /// Every price and size below 20 shares on small decimals, against plain u128 arithmetic.
    #[test]
    fn exhaustive_small_range_matches_u128_reference() {
        for decimals in 0u8..=6 {
            let unit = 10u128.pow(u32::from(decimals));
            for hundredths in 0u64..2_000 {
                let size = Size::from_hundredths(hundredths);
                let scaled = u128::from(hundredths) * unit;
                if scaled % 100 != 0 {
                    assert!(shares(size, decimals).is_err());
                    continue;
                }
                let sh = scaled / 100;
                for t in 1u8..=100 {
                    let n = sh * u128::from(t);
                    let buy = signed_amounts(Side::Buy, ticks(t), size, decimals).unwrap();
                    let sell = signed_amounts(Side::Sell, ticks(t), size, decimals).unwrap();
                    assert_eq!(buy.maker, U256::from(n.div_ceil(100)));
                    assert_eq!(buy.taker, U256::from(sh));
                    assert_eq!(sell.maker, U256::from(sh));
                    assert_eq!(sell.taker, U256::from(n / 100));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn buy_pays_the_least_whole_unit_covering_the_notional(
            t in 1u8..=100, h in 0u64..=u64::MAX / 2, decimals in 2u8..=40,
        ) {
            let a = signed_amounts(Side::Buy, ticks(t), Size::from_hundredths(h), decimals).unwrap();
            let notional = a.taker * U256::from(t);
            let hundred = U256::from(100u8);
            prop_assert!(a.maker * hundred >= notional);
            prop_assert!(a.maker.is_zero() || (a.maker - U256::from(1u8)) * hundred < notional);
        }

        #[test]
        fn sell_receives_the_greatest_whole_unit_within_the_notional(
            t in 1u8..=100, h in 0u64..=u64::MAX / 2, decimals in 2u8..=40,
        ) {
            let a = signed_amounts(Side::Sell, ticks(t), Size::from_hundredths(h), decimals).unwrap();
            let notional = a.maker * U256::from(t);
            let hundred = U256::from(100u8);
            prop_assert!(a.taker * hundred <= notional);
            prop_assert!((a.taker + U256::from(1u8)) * hundred > notional);
        }

        #[test]
        fn buyer_never_pays_less_than_seller_receives_and_both_grow_with_price(
            t in 1u8..100, h in 0u64..=1_000_000_000_000u64, decimals in 0u8..=30,
        ) {
            let size = Size::from_hundredths(h);
            if let Ok(buy) = signed_amounts(Side::Buy, ticks(t), size, decimals) {
                let sell = signed_amounts(Side::Sell, ticks(t), size, decimals).unwrap();
                prop_assert_eq!(buy.taker, sell.maker);
                prop_assert!(buy.maker >= sell.taker);
                prop_assert!(buy.maker - sell.taker <= U256::from(1u8));
                let up = signed_amounts(Side::Buy, ticks(t + 1), size, decimals).unwrap();
                prop_assert!(up.maker >= buy.maker);
            }
        }
    }
}
