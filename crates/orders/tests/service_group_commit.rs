//! The acceptance writer's group commit: concurrent requests accept each order once, several
//! writers each decide their own wallets, and a failed commit accepts nothing. SQLite always;
//! PostgreSQL in the `_on_postgres` tests, which need `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use std::sync::Arc;

use common::TestKey;
use orders::idempotency::{claim_key, IdempotencyClaim};
use orders::{IdempotencyKey, OrdersQuery, Placed, StatusGroup, WriterConfig};
use service_common::*;
use store::balances::{Asset, Balance};
use test_support::{on_backend, poison_order_inserts, Backend};
use types::{ErrorCode, Side};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_through_the_group_commit_accept_each_order_once() {
    concurrent_requests_through_the_group_commit_accept_each_order_once_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn concurrent_requests_through_the_group_commit_accept_each_order_once_on_postgres() {
    concurrent_requests_through_the_group_commit_accept_each_order_once_on(Backend::Postgres).await;
}

async fn concurrent_requests_through_the_group_commit_accept_each_order_once_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let config = WriterConfig {
            max_requests: 8,
            ..WriterConfig::default()
        };
        let (w, writer, handle) = World::paused(store, url, backend, config).await;
        let w = Arc::new(w);
        let alice = TestKey::named("alice");
        w.credit(&alice, Asset::Collateral, e18(1_000, 0)).await;
        // Every request sends the same shared order and one of its own.
        let shared = Draft::new(&alice, Side::Buy, 50, 1_000, 0);
        let mut tasks = Vec::new();
        for i in 1..=20u64 {
            let w = Arc::clone(&w);
            let items = vec![
                shared.signed_by(&alice),
                Draft::new(&alice, Side::Buy, 50, 1_000, i).signed_by(&alice),
            ];
            let wallet = alice.wallet();
            tasks.push(tokio::spawn(async move {
                w.service.place_orders(wallet, &items, None, NOW).await
            }));
        }
        until_queued(&handle, 20).await;
        writer.spawn();
        let mut shared_accepted = 0;
        for task in tasks {
            let Placed::Fresh(r) = task.await.unwrap().unwrap() else {
                panic!("replayed without a key");
            };
            match r.results[0].error() {
                None => shared_accepted += 1,
                Some(e) => assert_eq!(e.code, ErrorCode::DuplicateOrder, "{backend}"),
            }
            assert!(r.results[1].accepted().is_some(), "{backend}");
        }
        assert_eq!(shared_accepted, 1, "{backend}");
        // 21 orders of 5.00 each: reserved once each.
        assert_eq!(
            w.balance(&alice, Asset::Collateral).await,
            Balance {
                available: e18(895, 0),
                reserved: e18(105, 0)
            },
            "{backend}"
        );
        let all = w
            .service
            .list_orders(
                alice.wallet(),
                &OrdersQuery {
                    market: None,
                    status: StatusGroup::All,
                    cursor: None,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        assert_eq!(all.data.len(), 21, "{backend}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_writers_each_decide_their_own_wallets_and_reserve_exactly_once() {
    several_writers_each_decide_their_own_wallets_and_reserve_exactly_once_on(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn several_writers_each_decide_their_own_wallets_and_reserve_exactly_once_on_postgres() {
    several_writers_each_decide_their_own_wallets_and_reserve_exactly_once_on(Backend::Postgres)
        .await;
}

async fn several_writers_each_decide_their_own_wallets_and_reserve_exactly_once_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        let config = WriterConfig {
            writers: 3,
            ..WriterConfig::default()
        };
        let (w, writer, handle) = World::paused(store, url, backend, config).await;
        let w = Arc::new(w);
        let keys: Vec<TestKey> = (0..6).map(|i| TestKey::named(&format!("w{i}"))).collect();
        for key in &keys {
            // Enough for three of the four orders each sends.
            w.credit(key, Asset::Collateral, e18(15, 0)).await;
        }
        let mut tasks = Vec::new();
        for key in &keys {
            // Two requests per wallet, each with an order the other also sends.
            let shared = Draft::new(key, Side::Buy, 50, 1_000, 0).signed_by(key);
            for i in 1..=2u64 {
                let w = Arc::clone(&w);
                let items = vec![
                    shared.clone(),
                    Draft::new(key, Side::Buy, 50, 1_000, i).signed_by(key),
                    Draft::new(key, Side::Buy, 50, 1_000, 10 + i).signed_by(key),
                ];
                let wallet = key.wallet();
                tasks.push(tokio::spawn(async move {
                    w.service.place_orders(wallet, &items, None, NOW).await
                }));
            }
        }
        until_queued(&handle, 12).await;
        writer.spawn();
        let mut outcomes = Vec::new();
        for task in tasks {
            let Placed::Fresh(r) = task.await.unwrap().unwrap() else {
                panic!("replayed without a key");
            };
            outcomes.extend(codes(&r.results));
        }
        // Per wallet: five distinct orders of 5.00 against 15.00: three accepted, the shared
        // one refused once as a duplicate, one refused for want of balance.
        let accepted = outcomes.iter().filter(|c| c.is_none()).count();
        let duplicates = outcomes
            .iter()
            .filter(|c| **c == Some(ErrorCode::DuplicateOrder))
            .count();
        let short = outcomes
            .iter()
            .filter(|c| **c == Some(ErrorCode::InsufficientBalance))
            .count();
        assert_eq!((accepted, duplicates, short), (18, 6, 12), "{backend}");
        for key in &keys {
            assert_eq!(
                w.balance(key, Asset::Collateral).await,
                Balance {
                    available: e18(0, 0),
                    reserved: e18(15, 0)
                },
                "{backend}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_group_commit_accepts_nothing_and_fails_every_request_of_the_group() {
    a_failed_group_commit_accepts_nothing_and_fails_every_request_of_the_group_on(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_failed_group_commit_accepts_nothing_and_fails_every_request_of_the_group_on_postgres() {
    a_failed_group_commit_accepts_nothing_and_fails_every_request_of_the_group_on(
        Backend::Postgres,
    )
    .await;
}

async fn a_failed_group_commit_accepts_nothing_and_fails_every_request_of_the_group_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        let (w, writer, handle) = World::paused(store, url, backend, WriterConfig::default()).await;
        let w = Arc::new(w);
        let alice = TestKey::named("alice");
        w.credit(&alice, Asset::Collateral, e18(100, 0)).await;
        let good = Draft::new(&alice, Side::Buy, 50, 1_000, 1);
        let bad = Draft::new(&alice, Side::Buy, 50, 1_000, 2);
        poison_order_inserts(&w.url, w.store.backend(), &bad.hash()).await;

        let keyed = {
            let w = Arc::clone(&w);
            let items = vec![good.signed_by(&alice)];
            let wallet = alice.wallet();
            tokio::spawn(async move {
                let key = IdempotencyKey {
                    key: "k",
                    request_hash: "body",
                };
                w.service.place_orders(wallet, &items, Some(key), NOW).await
            })
        };
        until_queued(&handle, 1).await;
        let poisoned = {
            let w = Arc::clone(&w);
            let items = vec![bad.signed_by(&alice)];
            let wallet = alice.wallet();
            tokio::spawn(async move { w.service.place_orders(wallet, &items, None, NOW).await })
        };
        until_queued(&handle, 2).await;
        writer.spawn();
        for task in [keyed, poisoned] {
            let err = task.await.unwrap().unwrap_err();
            assert_eq!(
                RequestFailure::from(err).code,
                ErrorCode::InternalError,
                "{}",
                w.backend
            );
        }
        for hash in [good.hash(), bad.hash()] {
            assert_eq!(w.store.order(&hash).await.unwrap(), None, "{}", w.backend);
        }
        assert_eq!(
            w.balance(&alice, Asset::Collateral).await,
            Balance {
                available: e18(100, 0),
                reserved: wei(0)
            },
            "{}",
            w.backend
        );
        // The key was given back: a retry is processed afresh, and succeeds.
        let retry = w
            .service
            .place_orders(
                alice.wallet(),
                &[good.signed_by(&alice)],
                Some(IdempotencyKey {
                    key: "k",
                    request_hash: "body",
                }),
                NOW,
            )
            .await
            .unwrap();
        let Placed::Fresh(r) = retry else {
            panic!("{}: replayed a failed request", w.backend);
        };
        assert!(r.results[0].accepted().is_some());
        assert!(matches!(
            claim_key(&w.store, alice.wallet(), "k", "body", NOW)
                .await
                .unwrap(),
            IdempotencyClaim::Replay(_)
        ));
    })
    .await;
}
