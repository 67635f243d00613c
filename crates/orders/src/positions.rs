//! `GET /v1/positions`: what a wallet holds of each outcome token, from its balances and its
//! positions rows, with every figure exact.
//!
//! A token is listed when the wallet holds some of it (available, or reserved by its open SELL
//! orders) or has a positions row for it (it traded the token: a position sold down to nothing
//! still shows what it made). The token's market, outcome and decimals come from the market
//! catalog; a token the catalog does not know is left out. Listed by market, YES before NO.
//!
//! The figures (docs/api.md 6.9):
//! - `size`: shares, the token balance in whole units, exact to the token's decimals, trailing
//!   zeros dropped down to two decimals (`10.00`, `9.975`).
//! - `avg_price`: the position's cost over its size, both in base units. Collateral and tokens
//!   share one base-unit scale in this API's amounts (a BUY pays `ceil(shares * ticks / 100)`
//!   base units of collateral for `shares` base units of the token), so the ratio is a price.
//!   An average of fills at different prices, or one net of a fee taken in tokens, falls between
//!   ticks: it is shown with [`AVG_PRICE_DECIMALS`] decimals, rounded half up; `null` when the
//!   size is zero.
//! - `realized_pnl`: collateral in whole units (18 decimals), signed, exact, trimmed as `size`.
//! - `collateral`: the wallet's collateral balance in raw base units, as every amount on the
//!   wire (docs/api.md 1.2); one balance shared by all markets, so a market filter leaves it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::U512;
use store::positions::{Holdings, PositionRecord};
use types::amounts::whole_units;
use types::balance::{Asset, COLLATERAL_DECIMALS};
use types::{MarketKey, TokenId, Wei, I256};

use crate::validate::MarketLookup;
use crate::views::{CollateralView, PositionView, PositionsView};

/// The decimals of an average price.
pub const AVG_PRICE_DECIMALS: usize = 4;

/// The positions of `holdings`, of the market `only` when given.
pub fn positions_view<M: MarketLookup + ?Sized>(
    holdings: &Holdings,
    markets: &M,
    only: Option<&MarketKey>,
) -> PositionsView {
    let mut collateral = CollateralView::default();
    let mut held: BTreeMap<TokenId, U512> = BTreeMap::new();
    for (asset, balance) in &holdings.balances {
        match asset {
            Asset::Collateral => {
                collateral = CollateralView {
                    available: balance.available,
                    reserved: balance.reserved,
                }
            }
            Asset::Token(token) => {
                // Each part is at most 2^256 - 1; their sum may not be.
                let total = U512::from(balance.available.0) + U512::from(balance.reserved.0);
                if !total.is_zero() {
                    held.insert(*token, total);
                }
            }
        }
    }
    let rows: BTreeMap<TokenId, &PositionRecord> = holdings
        .positions
        .iter()
        .map(|row| (row.token_id, row))
        .collect();
    let tokens: BTreeSet<TokenId> = held.keys().chain(rows.keys()).copied().collect();
    let mut data: Vec<PositionView> = tokens
        .into_iter()
        .filter_map(|token| {
            let market = markets.market_of_token(&token)?;
            if only.is_some_and(|wanted| *wanted != market.key) {
                return None;
            }
            let terms = market.token(&token)?;
            let size = held.get(&token).copied().unwrap_or_default();
            let row = rows.get(&token);
            Some(PositionView {
                condition_id: market.key.condition_id,
                chain_id: market.key.chain_id,
                outcome: terms.outcome,
                token_id: token,
                size: shares_text(size, terms.decimals),
                avg_price: avg_price_text(row.map_or(Wei::ZERO, |r| r.cost), size),
                realized_pnl: pnl_text(row.map_or(I256::ZERO, |r| r.realized_pnl)),
            })
        })
        .collect();
    data.sort_by_key(|p| (p.condition_id, p.chain_id, Reverse(p.outcome.as_u8())));
    PositionsView { data, collateral }
}

/// Base units of a token with `decimals` as shares, exactly.
fn shares_text(base_units: U512, decimals: u8) -> String {
    whole_units(&base_units.to_string(), decimals)
}

/// `cost / size` with [`AVG_PRICE_DECIMALS`] decimals, rounded half up; `None` for no size.
fn avg_price_text(cost: Wei, size: U512) -> Option<String> {
    if size.is_zero() {
        return None;
    }
    let scale = U512::from(10u64.pow(AVG_PRICE_DECIMALS as u32));
    let two = U512::from(2u8);
    // floor(cost * scale / size + 1/2) = floor((2 * cost * scale + size) / (2 * size)); no
    // term comes near 2^512.
    let scaled = (two * U512::from(cost.0) * scale + size) / (two * size);
    let digits = scaled.to_string();
    let padded = format!("{digits:0>width$}", width = AVG_PRICE_DECIMALS + 1);
    let (whole, fraction) = padded.split_at(padded.len() - AVG_PRICE_DECIMALS);
    Some(format!("{whole}.{fraction}"))
}

/// A signed amount of collateral base units in whole units, exactly.
fn pnl_text(pnl: I256) -> String {
    let magnitude = whole_units(&pnl.unsigned_abs().to_string(), COLLATERAL_DECIMALS);
    if pnl.is_negative() {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::{Address, B256, U256};
    use store::balances::Balance;
    use types::{ChainId, ConditionId, ContractAddress, MarketStatus, Outcome, Size, Wallet};

    use super::*;
    use crate::validate::{MarketTerms, TokenTerms};

    fn e(exponent: u8) -> U256 {
        U256::from(10u8).pow(U256::from(exponent))
    }

    fn wide(v: U256) -> U512 {
        U512::from(v)
    }

    fn signed(v: i128) -> I256 {
        I256::try_from(v).expect("fits")
    }

    #[test]
    fn sizes_are_exact_to_the_tokens_decimals_with_at_least_two() {
        assert_eq!(shares_text(wide(U256::from(10u8) * e(18)), 18), "10.00");
        assert_eq!(shares_text(wide(U256::from(9_975_000u64)), 6), "9.975");
        assert_eq!(
            shares_text(wide(U256::from(1u8)), 18),
            "0.000000000000000001"
        );
        assert_eq!(shares_text(U512::ZERO, 6), "0.00");
        // Available and reserved, each at the top of a uint256, add up beyond it.
        let both = wide(U256::MAX) + wide(U256::MAX);
        assert_eq!(
            shares_text(both, 18),
            "231584178474632390847141970017375815706539969331281128078915.16801582625927987"
        );
    }

    #[test]
    fn average_prices_have_four_decimals_rounded_half_up() {
        let shares = |n: u64| wide(U256::from(n) * e(18));
        let cost = |n: u64, exponent: u8| Wei(U256::from(n) * e(exponent));
        assert_eq!(
            avg_price_text(cost(37, 17), shares(10)).as_deref(),
            Some("0.3700")
        );
        // 1/3 and 2/3: down and up.
        assert_eq!(
            avg_price_text(cost(1, 18), shares(3)).as_deref(),
            Some("0.3333")
        );
        assert_eq!(
            avg_price_text(cost(2, 18), shares(3)).as_deref(),
            Some("0.6667")
        );
        // Exactly half a step goes up; just under it goes down.
        assert_eq!(
            avg_price_text(Wei(U256::from(5u8)), wide(U256::from(100_000u64))).as_deref(),
            Some("0.0001")
        );
        assert_eq!(
            avg_price_text(Wei(U256::from(4u8)), wide(U256::from(100_000u64))).as_deref(),
            Some("0.0000")
        );
        // A fee taken in tokens leaves fewer shares than were paid for.
        assert_eq!(
            avg_price_text(cost(5, 18), wide(U256::from(9_975u64) * e(15))).as_deref(),
            Some("0.5013")
        );
        assert_eq!(
            avg_price_text(Wei::ZERO, shares(4)).as_deref(),
            Some("0.0000")
        );
        assert_eq!(avg_price_text(cost(3, 18), U512::ZERO), None);
        // Nothing overflows at the top of both ranges.
        assert_eq!(
            avg_price_text(Wei(U256::MAX), wide(U256::MAX)).as_deref(),
            Some("1.0000")
        );
    }

    #[test]
    fn realized_pnl_is_signed_collateral_exact_to_18_decimals() {
        assert_eq!(pnl_text(I256::ZERO), "0.00");
        assert_eq!(pnl_text(signed(25 * 10i128.pow(16))), "0.25");
        assert_eq!(pnl_text(signed(-25 * 10i128.pow(16))), "-0.25");
        assert_eq!(pnl_text(signed(-1)), "-0.000000000000000001");
        assert_eq!(pnl_text(signed(1_234_500_000_000_000_000)), "1.2345");
        assert_eq!(
            pnl_text(I256::MIN),
            "-57896044618658097711785492504343953926634992332820282019728.792003956564819968"
        );
    }

    const YES_1: u64 = 11;
    const NO_1: u64 = 10;
    const YES_2: u64 = 21;
    const NO_2: u64 = 20;

    fn key(seed: u8) -> MarketKey {
        MarketKey {
            condition_id: ConditionId(B256::repeat_byte(seed)),
            chain_id: ChainId(56),
        }
    }

    fn market(key: MarketKey, yes: u64, no: u64, no_decimals: u8) -> MarketTerms {
        MarketTerms {
            key,
            status: MarketStatus::Open,
            ctf_exchange_address: ContractAddress(Address::repeat_byte(0x5c)),
            tokens: [
                TokenTerms {
                    token_id: TokenId(U256::from(yes)),
                    outcome: Outcome::Yes,
                    decimals: 18,
                },
                TokenTerms {
                    token_id: TokenId(U256::from(no)),
                    outcome: Outcome::No,
                    decimals: no_decimals,
                },
            ],
            fee_rate_bps: 0,
            min_order_size: Size::from_hundredths(500),
        }
    }

    fn catalog() -> HashMap<MarketKey, MarketTerms> {
        // The second market sorts first by condition id.
        [
            market(key(0x22), YES_1, NO_1, 6),
            market(key(0x11), YES_2, NO_2, 18),
        ]
        .into_iter()
        .map(|m| (m.key, m))
        .collect()
    }

    fn token_balance(token: u64, available: U256, reserved: U256) -> (Asset, Balance) {
        (
            Asset::Token(TokenId(U256::from(token))),
            Balance {
                available: Wei(available),
                reserved: Wei(reserved),
            },
        )
    }

    fn row(token: u64, market: MarketKey, cost: U256, pnl: i128) -> PositionRecord {
        PositionRecord {
            wallet: Wallet(Address::repeat_byte(0xa1)),
            token_id: TokenId(U256::from(token)),
            market,
            outcome: Outcome::Yes,
            cost: Wei(cost),
            realized_pnl: signed(pnl),
        }
    }

    fn holdings() -> Holdings {
        Holdings {
            balances: vec![
                // 10 YES shares of the first market, 4 of them reserved by a SELL.
                token_balance(YES_1, U256::from(6u8) * e(18), U256::from(4u8) * e(18)),
                // 9.975 NO shares (6 decimals) credited, not bought: no row, no cost.
                token_balance(NO_1, U256::from(9_975_000u64), U256::ZERO),
                // A zero balance and no row: nothing to show.
                token_balance(NO_2, U256::ZERO, U256::ZERO),
                // A token no market in the catalog has.
                token_balance(999, U256::from(7u8), U256::ZERO),
                (
                    Asset::Collateral,
                    Balance {
                        available: Wei(U256::from(3u8) * e(18)),
                        reserved: Wei(U256::from(1u8)),
                    },
                ),
            ],
            positions: vec![
                row(
                    YES_1,
                    key(0x22),
                    U256::from(37u8) * e(17),
                    -25 * 10i128.pow(16),
                ),
                // Sold down to nothing: listed for what it made.
                row(YES_2, key(0x11), U256::ZERO, 3 * 10i128.pow(18)),
                row(998, key(0x33), U256::from(1u8), 1),
            ],
        }
    }

    fn listed(view: &PositionsView) -> Vec<(u64, &str, Option<&str>, &str)> {
        view.data
            .iter()
            .map(|p| {
                (
                    p.token_id.0.to::<u64>(),
                    p.size.as_str(),
                    p.avg_price.as_deref(),
                    p.realized_pnl.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn held_and_traded_tokens_are_listed_by_market_yes_first_and_unknown_ones_left_out() {
        let view = positions_view(&holdings(), &catalog(), None);
        assert_eq!(
            listed(&view),
            [
                (YES_2, "0.00", None, "3.00"),
                (YES_1, "10.00", Some("0.3700"), "-0.25"),
                (NO_1, "9.975", Some("0.0000"), "0.00"),
            ]
        );
        let first = &view.data[1];
        assert_eq!(
            (first.condition_id, first.chain_id, first.outcome),
            (key(0x22).condition_id, ChainId(56), Outcome::Yes)
        );
        assert_eq!(view.data[2].outcome, Outcome::No);
        assert_eq!(
            view.collateral,
            CollateralView {
                available: Wei(U256::from(3u8) * e(18)),
                reserved: Wei(U256::from(1u8)),
            }
        );
    }

    #[test]
    fn a_market_filter_keeps_its_tokens_and_the_whole_collateral() {
        let view = positions_view(&holdings(), &catalog(), Some(&key(0x22)));
        assert_eq!(
            listed(&view),
            [
                (YES_1, "10.00", Some("0.3700"), "-0.25"),
                (NO_1, "9.975", Some("0.0000"), "0.00"),
            ]
        );
        assert_eq!(view.collateral.available, Wei(U256::from(3u8) * e(18)));
        assert!(positions_view(&holdings(), &catalog(), Some(&key(0x44)))
            .data
            .is_empty());
    }

    #[test]
    fn an_empty_account_has_no_positions_and_zero_collateral() {
        let view = positions_view(&Holdings::default(), &catalog(), None);
        assert_eq!(
            serde_json::to_value(&view).expect("JSON"),
            serde_json::json!({"data": [], "collateral": {"available": "0", "reserved": "0"}})
        );
    }
}
