//! Cancels and their releases on both backends (SQLite; PostgreSQL in the `_on_postgres` tests,
//! which need `--include-ignored`): by hash, by filter and one at a time, only ever of the owner's
//! live orders.

#[path = "acceptance_common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use common::*;
use orders::cancels::{cancel_one, cancel_selected, NotCancelled};
use store::balances::Asset;
use store::cancels::CancelSelection;
use test_support::{on_backend, Backend};
use types::{OrderHash, OrderStatus, Outcome, Side, Size, Timestamp, B256};

#[tokio::test]
async fn cancel_by_hash_releases_exactly_what_is_left_and_only_for_the_owner() {
    cancel_by_hash_releases_exactly_what_is_left_and_only_for_the_owner_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn cancel_by_hash_releases_exactly_what_is_left_and_only_for_the_owner_on_postgres() {
    cancel_by_hash_releases_exactly_what_is_left_and_only_for_the_owner_on(Backend::Postgres).await;
}

async fn cancel_by_hash_releases_exactly_what_is_left_and_only_for_the_owner_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let (me, other) = (wallet(0xaa), wallet(0xbb));
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(50), T0).await.unwrap();
        s.credit_balance(other, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        accept(
            &s,
            vec![
                order(1, me, Side::Buy, 30),
                order(2, me, Side::Sell, 20),
                order(3, me, Side::Buy, 25),
            ],
        )
        .await;
        accept(&s, vec![order(4, other, Side::Buy, 70)]).await;
        // An engine consumed part of order 3's reservation on a fill.
        s.set_order_state(
            &order(3, me, Side::Buy, 0).order_hash,
            OrderStatus::PartiallyFilled,
            Size::from_hundredths(400),
            T0,
        )
        .await
        .unwrap();

        // Closed orders of the wallet: one filled, one expired.
        let closed = [order(5, me, Side::Buy, 0), order(6, me, Side::Buy, 0)];
        s.insert_orders(&closed, None).await.unwrap();
        for (o, status) in closed
            .iter()
            .zip([OrderStatus::Filled, OrderStatus::Expired])
        {
            s.set_order_state(&o.order_hash, status, Size::from_hundredths(0), T0)
                .await
                .unwrap();
        }

        let hash = |seed: u8| OrderHash(B256::repeat_byte(seed));
        let later = Timestamp(T0.0 + 5);
        let listed = [2, 4, 0x42, 1, 2, 5, 6, 0x42].map(hash);
        let cancelled = cancel_selected(&s, me, &CancelSelection::Hashes(listed.to_vec()), later)
            .await
            .unwrap();
        assert_eq!(cancelled.hashes, vec![hash(2), hash(1)], "{backend}");
        // Another wallet's order and an unknown hash answer alike.
        assert_eq!(
            cancelled.not_cancelled,
            BTreeMap::from([
                (hash(4), NotCancelled::NotFound),
                (hash(0x42), NotCancelled::NotFound),
                (hash(5), NotCancelled::AlreadyFilled),
                (hash(6), NotCancelled::AlreadyCancelled),
            ]),
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(75, 25),
            "{backend}"
        );
        assert_eq!(s.balance(me, token()).await.unwrap(), balance(50, 0));
        let one = s.order(&hash(1)).await.unwrap().unwrap();
        assert_eq!(
            (one.status, one.reserved, one.updated_at),
            (OrderStatus::Cancelled, wei(0), later)
        );
        // The other wallet's order was named but is untouched.
        let theirs = s.order(&hash(4)).await.unwrap().unwrap();
        assert_eq!(
            (theirs.status, theirs.reserved),
            (OrderStatus::Open, wei(70))
        );
        assert_eq!(
            s.balance(other, Asset::Collateral).await.unwrap(),
            balance(30, 70)
        );
        // Cancelling again changes nothing and reports nothing.
        let again = cancel_selected(&s, me, &CancelSelection::Hashes(vec![hash(1)]), later)
            .await
            .unwrap();
        assert!(again.hashes.is_empty(), "{backend}");
        assert_eq!(
            again.not_cancelled,
            BTreeMap::from([(hash(1), NotCancelled::AlreadyCancelled)]),
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(75, 25)
        );
        // The partly filled order is live, and cancelling it releases what it still holds.
        let rest = cancel_selected(
            &s,
            me,
            &CancelSelection::Matching {
                market: None,
                outcome: None,
                side: None,
            },
            later,
        )
        .await
        .unwrap();
        assert_eq!(rest.hashes, vec![hash(3)], "{backend}");
        assert!(
            rest.not_cancelled.is_empty(),
            "a filter lists no hash: {rest:?}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(100, 0)
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_by_filter_matches_market_outcome_and_side() {
    cancel_by_filter_matches_market_outcome_and_side_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn cancel_by_filter_matches_market_outcome_and_side_on_postgres() {
    cancel_by_filter_matches_market_outcome_and_side_on(Backend::Postgres).await;
}

async fn cancel_by_filter_matches_market_outcome_and_side_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(1_000), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(1_000), T0).await.unwrap();
        let mut on_other_market = order(3, me, Side::Buy, 10);
        on_other_market.condition_id = market(2).condition_id;
        let mut no_outcome = order(4, me, Side::Buy, 10);
        no_outcome.outcome = Outcome::No;
        accept(
            &s,
            vec![
                order(1, me, Side::Buy, 10),
                order(2, me, Side::Sell, 10),
                on_other_market,
                no_outcome,
            ],
        )
        .await;
        let hash = |seed: u8| OrderHash(B256::repeat_byte(seed));
        let by = |market, outcome, side| CancelSelection::Matching {
            market,
            outcome,
            side,
        };
        let sells = cancel_selected(&s, me, &by(Some(market(1)), None, Some(Side::Sell)), T0)
            .await
            .unwrap();
        assert_eq!(sells.hashes, vec![hash(2)], "{backend}");
        let no = cancel_selected(&s, me, &by(Some(market(1)), Some(Outcome::No), None), T0)
            .await
            .unwrap();
        assert_eq!(no.hashes, vec![hash(4)], "{backend}");
        let market1 = cancel_selected(&s, me, &by(Some(market(1)), None, None), T0)
            .await
            .unwrap();
        assert_eq!(market1.hashes, vec![hash(1)], "{backend}");
        assert_eq!(
            s.order(&hash(3)).await.unwrap().unwrap().status,
            OrderStatus::Open
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(990, 10)
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_one_cancels_a_live_order_and_leaves_a_closed_one() {
    cancel_one_cancels_a_live_order_and_leaves_a_closed_one_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn cancel_one_cancels_a_live_order_and_leaves_a_closed_one_on_postgres() {
    cancel_one_cancels_a_live_order_and_leaves_a_closed_one_on(Backend::Postgres).await;
}

async fn cancel_one_cancels_a_live_order_and_leaves_a_closed_one_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let (me, other) = (wallet(0xaa), wallet(0xbb));
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        accept(
            &s,
            vec![order(1, me, Side::Buy, 40), order(2, me, Side::Buy, 60)],
        )
        .await;
        let hash = |seed: u8| OrderHash(B256::repeat_byte(seed));
        s.set_order_state(&hash(2), OrderStatus::Filled, Size::ZERO, T0)
            .await
            .unwrap();

        assert_eq!(cancel_one(&s, other, &hash(1), T0).await.unwrap(), None);
        assert_eq!(
            s.order(&hash(1)).await.unwrap().unwrap().status,
            OrderStatus::Open,
            "{backend}: another wallet cannot cancel it"
        );
        let before = cancel_one(&s, me, &hash(1), T0).await.unwrap().unwrap();
        assert_eq!(before.status, OrderStatus::Open, "{backend}");
        assert_eq!(
            s.order(&hash(1)).await.unwrap().unwrap().status,
            OrderStatus::Cancelled
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(40, 60),
            "{backend}"
        );
        let filled = cancel_one(&s, me, &hash(2), T0).await.unwrap().unwrap();
        assert_eq!(filled.status, OrderStatus::Filled);
        assert_eq!(
            s.order(&hash(2)).await.unwrap().unwrap().status,
            OrderStatus::Filled,
            "{backend}"
        );
        assert_eq!(cancel_one(&s, me, &hash(0x42), T0).await.unwrap(), None);
    })
    .await;
}
