//! Random command streams for the core's property tests: places of both outcomes and sides,
//! `LIMIT`/`GTD`/`MARKET`, with and without fees (and a few with signed terms the core must
//! refuse), cancels by hash, expiries, wallet cancels with and without filters, closing the
//! market; few hashes and wallets, so duplicates, self-trades and stale cancels are common.

use alloy_primitives::{Address, B256, U256};
use engine::core::{Command, NewOrder};
use proptest::prelude::*;
use types::{OrderHash, OrderType, Outcome, Side, Size, Ticks, Wallet, Wei};

const HASHES: u8 = 48;
const WALLETS: u8 = 4;

/// The decimals of a market and a stream of commands for it.
pub fn streams(max_len: usize) -> impl Strategy<Value = (u8, Vec<Command>)> {
    prop::sample::select(vec![2u8, 3, 4, 6, 18]).prop_flat_map(move |decimals| {
        (
            Just(decimals),
            prop::collection::vec(command(decimals), 1..max_len),
        )
    })
}

fn hash(n: u8) -> OrderHash {
    OrderHash(B256::with_last_byte(n))
}

fn wallet(n: u8) -> Wallet {
    Wallet(Address::with_last_byte(n))
}

fn side(buy: bool) -> Side {
    if buy {
        Side::Buy
    } else {
        Side::Sell
    }
}

fn outcome(yes: bool) -> Outcome {
    if yes {
        Outcome::Yes
    } else {
        Outcome::No
    }
}

/// How an order's signed terms relate to its price and size.
#[derive(Clone, Copy, Debug)]
enum Terms {
    AsSigned,
    Drifted,
    RateAboveOneHundredPercent,
}

fn order(decimals: u8) -> impl Strategy<Value = NewOrder> {
    (
        (0..HASHES, 0..WALLETS, any::<bool>(), any::<bool>()),
        prop_oneof![3 => 40u8..=60, 1 => 1u8..=100],
        prop_oneof![8 => 1u64..=400, 1 => Just(0u64)],
        prop::sample::select(vec![OrderType::Limit, OrderType::Gtd, OrderType::Market]),
        prop::sample::select(vec![0u32, 0, 1, 30, 100, 1_000, 10_000]),
        prop_oneof![
            30 => Just(Terms::AsSigned),
            1 => Just(Terms::Drifted),
            1 => Just(Terms::RateAboveOneHundredPercent),
        ],
    )
        .prop_map(
            move |((h, w, buy, yes), ticks, size, order_type, fee_rate_bps, terms)| {
                let price = Ticks::new(ticks).expect("1..=100 ticks");
                let size = Size::from_hundredths(size);
                let signed = signing::signed_amounts(side(buy), price, size, decimals)
                    .expect("small sizes fit");
                let mut o = NewOrder {
                    hash: hash(h),
                    wallet: wallet(w),
                    outcome: outcome(yes),
                    side: side(buy),
                    price,
                    size,
                    order_type,
                    maker_amount: Wei(signed.maker),
                    taker_amount: Wei(signed.taker),
                    fee_rate_bps,
                };
                match terms {
                    Terms::AsSigned => {}
                    Terms::Drifted => o.taker_amount = Wei(signed.taker + U256::from(1u8)),
                    Terms::RateAboveOneHundredPercent => o.fee_rate_bps = 10_001,
                }
                o
            },
        )
}

fn command(decimals: u8) -> impl Strategy<Value = Command> {
    prop_oneof![
        60 => order(decimals).prop_map(Command::Place),
        15 => (0..HASHES).prop_map(|h| Command::Cancel(hash(h))),
        5 => (0..HASHES).prop_map(|h| Command::Expire(hash(h))),
        5 => (
            0..WALLETS,
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
        )
            .prop_map(|(w, yes, buy)| Command::CancelWallet {
                wallet: wallet(w),
                outcome: yes.map(outcome),
                side: buy.map(side),
            }),
        1 => Just(Command::CancelAll),
    ]
}
