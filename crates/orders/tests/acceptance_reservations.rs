//! Acceptance on both backends (SQLite; PostgreSQL in the `_on_postgres` tests, which need
//! `--include-ignored`): each reservation against what the ledger or an external source holds,
//! duplicates, and accepted orders read back field for field.

#[path = "acceptance_common/mod.rs"]
mod common;

use std::collections::HashMap;

use common::*;
use orders::acceptance::{accept_group, Holdings, Refusal};
use store::balances::Asset;
use store::orders::OrderRecord;
use test_support::{on_backend, Backend};
use types::{OrderType, Outcome, Side, Size, Ticks, Timestamp, TokenId, Wallet, Wei, U256};

#[tokio::test]
async fn each_reservation_sees_what_earlier_orders_of_the_group_left() {
    each_reservation_sees_what_earlier_orders_of_the_group_left_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn each_reservation_sees_what_earlier_orders_of_the_group_left_on_postgres() {
    each_reservation_sees_what_earlier_orders_of_the_group_left_on(Backend::Postgres).await;
}

async fn each_reservation_sees_what_earlier_orders_of_the_group_left_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let (me, other) = (wallet(0xaa), wallet(0xbb));
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(30), T0).await.unwrap();
        s.credit_balance(other, Asset::Collateral, wei(1_000), T0)
            .await
            .unwrap();
        // Stored before: its hash is a duplicate whoever sends it again.
        let earlier = order(9, me, Side::Buy, 1);
        s.insert_orders(std::slice::from_ref(&earlier), None)
            .await
            .unwrap();

        let group = vec![
            submission(vec![
                order(1, me, Side::Buy, 60),
                order(2, me, Side::Buy, 50), // 40 left: refused
                order(3, me, Side::Buy, 40), // exactly what is left
                order(4, me, Side::Sell, 30),
                order(9, me, Side::Buy, 1),
            ]),
            // Another request in the same commit, re-sending order 1 and one of its own.
            submission(vec![
                order(1, me, Side::Buy, 60),
                order(5, other, Side::Buy, 999),
            ]),
        ];
        let outcomes = accept_group(&s, &group, &Holdings::new(), T0, render)
            .await
            .unwrap();
        assert_eq!(
            outcomes,
            vec![
                vec![
                    Ok(()),
                    short(50, 40),
                    Ok(()),
                    Ok(()),
                    Err(Refusal::Duplicate)
                ],
                vec![Err(Refusal::Duplicate), Ok(())],
            ],
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 100),
            "{backend}"
        );
        assert_eq!(s.balance(me, token()).await.unwrap(), balance(0, 30));
        assert_eq!(
            s.balance(other, Asset::Collateral).await.unwrap(),
            balance(1, 999)
        );
        let stored = s.order(&order(1, me, Side::Buy, 60).order_hash).await;
        assert_eq!(stored.unwrap(), Some(order(1, me, Side::Buy, 60)));
        assert_eq!(
            s.order(&order(2, me, Side::Buy, 50).order_hash)
                .await
                .unwrap(),
            None,
            "{backend}: a refused order is not stored"
        );
        assert_eq!(
            s.order(&earlier.order_hash).await.unwrap(),
            Some(earlier),
            "{backend}: the stored duplicate is left as it was"
        );
    })
    .await;
}

#[tokio::test]
async fn a_wallet_without_any_balance_is_refused() {
    a_wallet_without_any_balance_is_refused_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_wallet_without_any_balance_is_refused_on_postgres() {
    a_wallet_without_any_balance_is_refused_on(Backend::Postgres).await;
}

async fn a_wallet_without_any_balance_is_refused_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let out = accept_group(
            &s,
            &[submission(vec![order(1, wallet(0xaa), Side::Sell, 1)])],
            &Holdings::new(),
            T0,
            render,
        )
        .await
        .unwrap();
        assert_eq!(out, vec![vec![short(1, 0)]], "{backend}");
        assert_eq!(
            s.balance(wallet(0xaa), token()).await.unwrap(),
            balance(0, 0)
        );
    })
    .await;
}

#[tokio::test]
async fn external_holdings_cap_what_open_orders_may_reserve() {
    external_holdings_cap_what_open_orders_may_reserve_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn external_holdings_cap_what_open_orders_may_reserve_on_postgres() {
    external_holdings_cap_what_open_orders_may_reserve_on(Backend::Postgres).await;
}

async fn external_holdings_cap_what_open_orders_may_reserve_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        // The ledger knows nothing of this wallet; the external source says it holds 100.
        let mut holdings: Holdings = HashMap::new();
        holdings.insert((me, Asset::Collateral), wei(100));
        let out = accept_group(
            &s,
            &[submission(vec![
                order(1, me, Side::Buy, 70),
                order(2, me, Side::Buy, 31),
                order(3, me, Side::Buy, 30),
            ])],
            &holdings,
            T0,
            render,
        )
        .await
        .unwrap();
        assert_eq!(out, vec![vec![Ok(()), short(31, 30), Ok(())]], "{backend}");
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 100)
        );
    })
    .await;
}

#[tokio::test]
async fn accepted_orders_read_back_field_for_field() {
    accepted_orders_read_back_field_for_field_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn accepted_orders_read_back_field_for_field_on_postgres() {
    accepted_orders_read_back_field_for_field_on(Backend::Postgres).await;
}

async fn accepted_orders_read_back_field_for_field_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xab);
        s.credit_balance(me, Asset::Collateral, Wei(U256::MAX >> 1), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(1_000), T0).await.unwrap();
        // The first group is decided on locked balances, the second against the balances the
        // first left (the optimistic path: on SQLite another connection and other statements).
        for (first, second) in [(1, 2), (3, 4)] {
            let (wide, narrow) = (wide_order(first, me), narrow_order(second, me));
            accept(&s, vec![wide.clone(), narrow.clone()]).await;
            for expected in [wide, narrow] {
                let stored = s.order(&expected.order_hash).await.unwrap();
                assert_eq!(stored.as_ref(), Some(&expected), "{backend}");
            }
        }
    })
    .await;
}

/// An order at the extremes of every column, its nullable ones set.
fn wide_order(seed: u8, me: Wallet) -> OrderRecord {
    let mut wide = order(seed, me, Side::Buy, 10);
    wide.salt = U256::MAX;
    wide.token_id = TokenId(U256::MAX);
    wide.taker = wallet(0xcd);
    wide.maker_amount = Wei(U256::MAX >> 2);
    wide.taker_amount = Wei(U256::MAX);
    wide.reserved = Wei(U256::MAX >> 2);
    wide.expiration = U256::from(4_102_444_800u64);
    wide.nonce = U256::MAX - U256::from(1);
    wide.order_type = OrderType::Gtd;
    wide.fee_rate_bps = u32::MAX;
    wide.signature_type = 255;
    wide.signature = (0..65).map(|i| 255 - i as u8).collect();
    wide.book_added_at = Some(Timestamp(T0.0 + 5));
    wide.price = Ticks::new(99).unwrap();
    wide.size = Size::from_hundredths(u64::MAX >> 1);
    wide.remaining = Size::from_hundredths(1);
    wide
}

/// An order whose nullable columns are unset.
fn narrow_order(seed: u8, me: Wallet) -> OrderRecord {
    let mut narrow = order(seed, me, Side::Sell, 7);
    narrow.outcome = Outcome::No;
    narrow.expiration = U256::MAX;
    narrow
}
