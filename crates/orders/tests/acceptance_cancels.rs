//! Cancels and their releases through the order service, with a running matching engine, on both
//! backends (SQLite; PostgreSQL in the `_on_postgres` tests, which need `--include-ignored`): by
//! hash, by filter and one at a time (cancel-onchain), only ever of the owner's live orders, and
//! why each listed order that was not cancelled was not. Filled and partly filled orders trade
//! for real against another wallet; the expired one is expired by the matcher.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use std::collections::BTreeMap;

use orders::{CancelSelection, Placed};
use serde_json::json;
use service_common::*;
use store::balances::{Asset, Balance};
use test_support::{on_backend, Backend};
use types::{ErrorCode, OrderHash, OrderStatus, Outcome, Side, Size, Timestamp, Wei, B256, U256};

fn reasons<const N: usize>(pairs: [(OrderHash, &str); N]) -> BTreeMap<OrderHash, String> {
    pairs
        .into_iter()
        .map(|(hash, code)| (hash, code.to_owned()))
        .collect()
}

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
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        w.credit(alice, yes(), e18(50, 0)).await;
        w.credit(bob, Asset::Collateral, e18(100, 0)).await;
        w.credit(bob, yes(), e18(10, 0)).await;

        // Filled: bob sells alice all 5 shares of her bid.
        let filled = Draft::new(alice, Side::Buy, 45, 500, 5); // 2.25
        w.place(alice, vec![filled.signed_by(alice)]).await;
        w.place(
            bob,
            vec![Draft::new(bob, Side::Sell, 45, 500, 1).signed_by(bob)],
        )
        .await;
        // Live, and none crosses another: bids at 0.30 and 0.40, an ask at 0.80.
        let buy = Draft::new(alice, Side::Buy, 30, 1_000, 1); // 3.00
        let sell = Draft::new(alice, Side::Sell, 80, 1_000, 2); // 10 YES
        let partly = Draft::new(alice, Side::Buy, 40, 1_000, 3); // 4.00
        let items = vec![
            buy.signed_by(alice),
            sell.signed_by(alice),
            partly.signed_by(alice),
        ];
        assert_eq!(codes(&w.place(alice, items).await), vec![None; 3]);
        // Partly filled: bob sells 5 of its 10 shares, at the best bid.
        w.place(
            bob,
            vec![Draft::new(bob, Side::Sell, 40, 500, 2).signed_by(bob)],
        )
        .await;
        // Another wallet's live order, below every ask.
        let theirs = Draft::new(bob, Side::Buy, 20, 1_000, 3); // 2.00
        w.place(bob, vec![theirs.signed_by(bob)]).await;
        // Expired: a GTD order accepted a moment before its expiration, which has passed when
        // the matcher takes it.
        let now_secs = Timestamp::now().0.div_euclid(1000);
        let mut expired = Draft::new(alice, Side::Buy, 10, 500, 6); // 0.50
        expired.expiration = u64::try_from(now_secs - 1).expect("after 1970");
        let mut item = expired.signed_by(alice);
        item["order_type"] = json!("GTD");
        let accepted_at = Timestamp((now_secs - 2) * 1000);
        match w
            .service
            .place_orders(alice.wallet(), &[item], None, accepted_at)
            .await
        {
            Ok(Placed::Fresh(r)) => assert_eq!(codes(&r.results), vec![None], "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }
        w.matched(open_market()).await;
        for (draft, status) in [
            (&filled, OrderStatus::Filled),
            (&partly, OrderStatus::PartiallyFilled),
            (&expired, OrderStatus::Expired),
            (&buy, OrderStatus::Open),
            (&theirs, OrderStatus::Open),
        ] {
            assert_eq!(w.status(&draft.hash()).await, status, "{backend}");
        }
        // 2.25 and 2.00 spent on fills; 3.00 and what is left of 4.00 (2.00) reserved.
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(90, 75),
                reserved: e18(5, 0)
            },
            "{backend}"
        );

        let unknown = OrderHash(B256::repeat_byte(0x42));
        let listed = vec![
            sell.hash(),
            theirs.hash(),
            unknown,
            buy.hash(),
            sell.hash(),
            filled.hash(),
            expired.hash(),
            unknown,
        ];
        let before = Timestamp::now();
        let cancelled = w
            .service
            .cancel_orders(alice.wallet(), &CancelSelection::Hashes(listed))
            .await
            .unwrap();
        let after = Timestamp::now();
        assert_eq!(
            cancelled.order_hashes,
            vec![sell.hash(), buy.hash()],
            "{backend}: as listed, each once"
        );
        assert_eq!(cancelled.cancelled_count, 2);
        // Another wallet's order and an unknown hash answer alike.
        assert_eq!(
            cancelled.not_cancelled,
            reasons([
                (theirs.hash(), "ORDER_NOT_FOUND"),
                (unknown, "ORDER_NOT_FOUND"),
                (filled.hash(), "ORDER_ALREADY_FILLED"),
                (expired.hash(), "ORDER_ALREADY_CANCELLED"),
            ]),
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(93, 75),
                reserved: e18(2, 0)
            },
            "{backend}"
        );
        // 50 credited, 5 + 5 bought, the 10 the ask held back.
        assert_eq!(
            w.balance(alice, yes()).await,
            Balance {
                available: e18(60, 0),
                reserved: e18(0, 0)
            },
            "{backend}"
        );
        let one = w.store.order(&buy.hash()).await.unwrap().unwrap();
        assert_eq!(
            (one.status, one.reserved),
            (OrderStatus::Cancelled, e18(0, 0)),
            "{backend}"
        );
        assert!(
            (before..=after).contains(&one.updated_at),
            "{backend}: updated at the cancel, {}",
            one.updated_at
        );
        // The other wallet's order was named but is untouched.
        let bobs = w.store.order(&theirs.hash()).await.unwrap().unwrap();
        assert_eq!(
            (bobs.status, bobs.reserved),
            (OrderStatus::Open, e18(2, 0)),
            "{backend}"
        );
        // 100 less the 2.00 reserved, plus 2.25 and 2.00 from its sales.
        assert_eq!(
            w.balance(bob, Asset::Collateral).await,
            Balance {
                available: e18(102, 25),
                reserved: e18(2, 0)
            },
            "{backend}"
        );
        // Cancelling again changes nothing and says why.
        let again = w
            .service
            .cancel_orders(alice.wallet(), &CancelSelection::Hashes(vec![buy.hash()]))
            .await
            .unwrap();
        assert!(again.order_hashes.is_empty(), "{backend}");
        assert_eq!(
            again.not_cancelled,
            reasons([(buy.hash(), "ORDER_ALREADY_CANCELLED")]),
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(93, 75),
                reserved: e18(2, 0)
            },
            "{backend}"
        );
        // The partly filled order is live, and cancelling it releases what it still holds.
        let rest = w
            .service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Matching {
                    market: None,
                    outcome: None,
                    side: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(rest.order_hashes, vec![partly.hash()], "{backend}");
        assert!(
            rest.not_cancelled.is_empty(),
            "a filter lists no hash: {rest:?}"
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(95, 75),
                reserved: e18(0, 0)
            },
            "{backend}"
        );
        let partly = w.store.order(&partly.hash()).await.unwrap().unwrap();
        assert_eq!(
            (partly.status, partly.remaining),
            (OrderStatus::Cancelled, Size::from_hundredths(500)),
            "{backend}: what was filled stays filled"
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
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let alice = &w.alice;
        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        w.credit(alice, yes(), e18(100, 0)).await;
        // None crosses another: in YES terms a bid at 0.40, asks at 0.60 and 0.70.
        let buy_yes = Draft::new(alice, Side::Buy, 40, 1_000, 1); // 4.00
        let sell_yes = Draft::new(alice, Side::Sell, 60, 1_000, 2);
        let buy_no = Draft::new(alice, Side::Buy, 30, 1_000, 4).no_token(); // 3.00
                                                                            // The same bid on another market (its tokens have 6 decimals): 4.00 there is 4000000.
        let mut elsewhere = Draft::new(alice, Side::Buy, 40, 1_000, 3);
        elsewhere.market = six_decimal_market();
        elsewhere.token = SIX_YES;
        elsewhere.decimals = 6;
        let items = vec![
            buy_yes.signed_by(alice),
            sell_yes.signed_by(alice),
            elsewhere.signed_by(alice),
            buy_no.signed_by(alice),
        ];
        assert_eq!(codes(&w.place(alice, items).await), vec![None; 4]);
        let by = |market, outcome, side| CancelSelection::Matching {
            market,
            outcome,
            side,
        };
        let w = &w;
        let cancel = |selection| async move {
            w.service
                .cancel_orders(alice.wallet(), &selection)
                .await
                .unwrap()
                .order_hashes
        };
        let sells = cancel(by(Some(open_market()), None, Some(Side::Sell))).await;
        assert_eq!(sells, vec![sell_yes.hash()], "{backend}");
        let no = cancel(by(Some(open_market()), Some(Outcome::No), None)).await;
        assert_eq!(no, vec![buy_no.hash()], "{backend}");
        let market = cancel(by(Some(open_market()), None, None)).await;
        assert_eq!(market, vec![buy_yes.hash()], "{backend}");
        assert_eq!(w.status(&elsewhere.hash()).await, OrderStatus::Open);
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: Wei(e18(100, 0).0 - U256::from(4_000_000u64)),
                reserved: wei(4_000_000)
            },
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, yes()).await,
            Balance {
                available: e18(100, 0),
                reserved: wei(0)
            },
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_onchain_cancels_a_live_order_and_leaves_a_closed_one() {
    cancel_onchain_cancels_a_live_order_and_leaves_a_closed_one_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn cancel_onchain_cancels_a_live_order_and_leaves_a_closed_one_on_postgres() {
    cancel_onchain_cancels_a_live_order_and_leaves_a_closed_one_on(Backend::Postgres).await;
}

async fn cancel_onchain_cancels_a_live_order_and_leaves_a_closed_one_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, Asset::Collateral, e18(10, 0)).await;
        w.credit(bob, yes(), e18(10, 0)).await;
        let live = Draft::new(alice, Side::Buy, 40, 1_000, 1); // 4.00
        let filled = Draft::new(alice, Side::Buy, 60, 1_000, 2); // 6.00
        let items = vec![live.signed_by(alice), filled.signed_by(alice)];
        assert_eq!(codes(&w.place(alice, items).await), vec![None; 2]);
        // Bob sells 10 shares down to 0.60: the best bid, all of it.
        w.place(
            bob,
            vec![Draft::new(bob, Side::Sell, 60, 1_000, 1).signed_by(bob)],
        )
        .await;
        w.matched(open_market()).await;
        assert_eq!(w.status(&filled.hash()).await, OrderStatus::Filled);

        let theirs = w.service.cancel_onchain(bob.wallet(), &live.hash()).await;
        assert_eq!(
            RequestFailure::from(theirs.unwrap_err()).code,
            ErrorCode::OrderNotFound,
            "{backend}"
        );
        assert_eq!(
            w.status(&live.hash()).await,
            OrderStatus::Open,
            "{backend}: another wallet cannot cancel it"
        );
        let view = w
            .service
            .cancel_onchain(alice.wallet(), &live.hash())
            .await
            .unwrap();
        assert_eq!(view.order_hash, live.hash(), "{backend}");
        assert_eq!(w.status(&live.hash()).await, OrderStatus::Cancelled);
        // 6.00 spent on the fill, the 4.00 back.
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(4, 0),
                reserved: e18(0, 0)
            },
            "{backend}"
        );
        let err = w
            .service
            .cancel_onchain(alice.wallet(), &filled.hash())
            .await
            .unwrap_err();
        assert_eq!(
            RequestFailure::from(err).code,
            ErrorCode::OrderAlreadyFilled
        );
        assert_eq!(
            w.status(&filled.hash()).await,
            OrderStatus::Filled,
            "{backend}"
        );
        let unknown = OrderHash(B256::repeat_byte(0x42));
        let err = w
            .service
            .cancel_onchain(alice.wallet(), &unknown)
            .await
            .unwrap_err();
        assert_eq!(RequestFailure::from(err).code, ErrorCode::OrderNotFound);
    })
    .await;
}
