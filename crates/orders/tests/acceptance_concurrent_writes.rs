//! Acceptance beside other writers on both backends (SQLite; PostgreSQL in the `_on_postgres`
//! tests, which need `--include-ignored`): another instance storing a hash or changing a balance,
//! and credits and cancels (through the order service and its matching engine) interleaved with
//! acceptance in one process.

#[path = "acceptance_common/mod.rs"]
mod acceptance_common;
// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use std::sync::Arc;
use std::time::Duration;

use acceptance_common::*;
use orders::acceptance::{accept_group, Holdings, Refusal};
use orders::idempotency::{claim_key, IdempotencyClaim};
use orders::{CancelSelection, IdempotencyKey, Placed};
use service_common::{codes, e18, open_market, Draft, World, NOW};
use sqlx::Connection;
use store::acceptance::{IdempotencyTarget, Submission};
use store::balances::{Asset, Balance};
use store::{Backend, Store, StoreError};
use test_support::on_backend;
use types::{ErrorCode, OrderHash, OrderStatus, Side, Wei, U256};

/// Makes the insert of `trigger` store a copy of it under `hash` first, as another instance
/// would that stores `hash` after this one's duplicate check and before its insert.
async fn race(url: &str, backend: Backend, trigger: &OrderHash, hash: &OrderHash) {
    const COLUMNS: &str = "wallet, condition_id, chain_id, token_id, outcome, side, order_type, \
        price_ticks, size_hundredths, remaining_hundredths, status, salt, maker, signer, taker, \
        maker_amount, taker_amount, expiration, expires_at, nonce, fee_rate_bps, \
        signature_type, signature, book_added_at, created_at, updated_at, reserved";
    let new_values = COLUMNS
        .split(',')
        .map(|c| format!("NEW.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let sql = match backend {
        Backend::Sqlite => format!(
            "CREATE TRIGGER race BEFORE INSERT ON orders WHEN NEW.order_hash = '{trigger}' \
             BEGIN INSERT INTO orders (order_hash, {COLUMNS}) VALUES ('{hash}', {new_values}); END;"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION race() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.order_hash = '{trigger}' THEN \
             INSERT INTO orders (order_hash, {COLUMNS}) VALUES ('{hash}', {new_values}); \
             END IF; RETURN NEW; END $$; \
             CREATE TRIGGER race BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION race();"
        ),
    };
    sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_hash_stored_by_another_instance_midway_reserves_nothing() {
    a_hash_stored_by_another_instance_midway_reserves_nothing_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_hash_stored_by_another_instance_midway_reserves_nothing_on_postgres() {
    a_hash_stored_by_another_instance_midway_reserves_nothing_on(Backend::Postgres).await;
}

async fn a_hash_stored_by_another_instance_midway_reserves_nothing_on(backend: Backend) {
    on_backend(backend, |s, url, backend| async move {
        if other_instance(&url, backend).await.is_none() {
            return;
        }
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        let (first, raced, last) = (
            order(1, me, Side::Buy, 60),
            order(2, me, Side::Buy, 40),
            order(3, me, Side::Buy, 40),
        );
        // Order 2's hash is stored (by "another instance") while order 1 is inserted: after
        // the duplicate check. Order 2 must be a duplicate that reserves nothing, so order 3
        // still finds the 40 it needs; deciding all three before inserting would refuse it.
        race(&url, s.backend(), &first.order_hash, &raced.order_hash).await;
        let out = accept_group(
            &s,
            &[submission(vec![first, raced, last])],
            &Holdings::new(),
            T0,
            render,
        )
        .await
        .unwrap();
        assert_eq!(
            out,
            vec![vec![Ok(()), Err(Refusal::Duplicate), Ok(())]],
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 100),
            "{backend}"
        );
        for seed in [1, 3] {
            let stored = s.order(&order(seed, me, Side::Buy, 1).order_hash).await;
            assert!(stored.unwrap().is_some(), "{backend}: {seed}");
        }
    })
    .await;
}

/// Another gateway instance on the same database. The embedded store admits one at a time (its
/// hash index lives in the process that holds the file): there, the second one is refused and
/// `None` ends the test.
async fn other_instance(url: &str, backend: &str) -> Option<Store> {
    let other = Store::connect(url, &store::StoreOptions::default()).await;
    if backend == "sqlite" {
        let err = other.expect_err("a second store on one SQLite file");
        assert!(matches!(err, StoreError::InUse(_)), "{err}");
        return None;
    }
    Some(other.unwrap())
}

#[tokio::test]
async fn balances_changed_since_the_last_group_are_read_afresh() {
    balances_changed_since_the_last_group_are_read_afresh_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn balances_changed_since_the_last_group_are_read_afresh_on_postgres() {
    balances_changed_since_the_last_group_are_read_afresh_on(Backend::Postgres).await;
}

async fn balances_changed_since_the_last_group_are_read_afresh_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url.clone(), backend).await;
        let alice = &w.alice;
        w.credit(alice, Asset::Collateral, e18(10, 0)).await;
        let first = Draft::new(alice, Side::Buy, 60, 1_000, 1); // 6.00
        let placed = w.place(alice, vec![first.signed_by(alice)]).await;
        assert_eq!(codes(&placed), vec![None], "{backend}");
        // Lower than this process last saw (4.00 available): written behind its back.
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE balances SET available = '1000000000000000000'")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let second = Draft::new(alice, Side::Buy, 40, 500, 2); // 2.00
        let refused = w.place(alice, vec![second.signed_by(alice)]).await;
        assert_eq!(
            refused[0].error().map(|e| (e.code, e.message.as_str())),
            Some((
                ErrorCode::InsufficientBalance,
                "Insufficient balance: needs 2.00 collateral (2000000000000000000 base units); \
                 available 1.00"
            )),
            "{backend}"
        );
        // Higher than it last saw: a cancel, committed by the matcher, returns the 6.00.
        let cancelled = w
            .service
            .cancel_orders(alice.wallet(), &CancelSelection::Hashes(vec![first.hash()]))
            .await
            .unwrap();
        assert_eq!(cancelled.order_hashes, vec![first.hash()], "{backend}");
        let third = Draft::new(alice, Side::Buy, 60, 1_000, 3); // 6.00 of 7.00
        let placed = w.place(alice, vec![third.signed_by(alice)]).await;
        assert_eq!(codes(&placed), vec![None], "{backend}");
        // As this process last saw it: its response is kept with the orders as ever.
        let keyed = [Draft::new(alice, Side::Buy, 20, 500, 4).signed_by(alice)]; // 1.00 of 1.00
        let key = IdempotencyKey {
            key: "k",
            request_hash: "body",
        };
        let place_keyed = || {
            w.service
                .place_orders(alice.wallet(), &keyed, Some(key), NOW)
        };
        let Placed::Fresh(response) = place_keyed().await.unwrap() else {
            panic!("{backend}: the first request replayed");
        };
        assert_eq!(codes(&response.results), vec![None], "{backend}");
        assert_eq!(
            place_keyed().await.unwrap(),
            Placed::Replayed(serde_json::to_string(&response).unwrap()),
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(0, 0),
                reserved: e18(7, 0)
            },
            "{backend}"
        );
    })
    .await;
}

/// On SQLite an optimistic acceptance writes through a connection of its own, beside the one
/// credits and the matcher's commits (cancels) use: interleaved in any order, no write may find
/// the database busy, and no reservation is lost or released twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_beside_acceptance_all_succeed() {
    writes_beside_acceptance_all_succeed_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn writes_beside_acceptance_all_succeed_on_postgres() {
    writes_beside_acceptance_all_succeed_on(Backend::Postgres).await;
}

async fn writes_beside_acceptance_all_succeed_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = Arc::new(World::running(store, url, backend).await);
        let me = w.alice.wallet();
        w.credit(&w.alice, Asset::Collateral, e18(1_000, 0)).await;
        // Bids at one price, 5.00 each: nothing trades, only cancels release.
        let bid = |salt| Draft::new(&w.alice, Side::Buy, 50, 1_000, salt);
        let resting: Vec<Draft> = (1..=60u64).map(bid).collect();
        let arriving: Vec<Draft> = (61..=120u64).map(bid).collect();
        for chunk in resting.chunks(15) {
            let items = chunk.iter().map(|d| d.signed_by(&w.alice)).collect();
            assert_eq!(
                codes(&w.place(&w.alice, items).await),
                vec![None; chunk.len()]
            );
        }
        // While the arriving orders are accepted: a credit, a cancel of a resting order, and a
        // cancel of the arriving order itself, from 0 to 190 ms later (it may find the order not
        // stored yet, stored but not yet with its matcher, or on the book: each is seen on
        // both backends).
        let mut accepts = Vec::new();
        let mut credits = Vec::new();
        let mut cancels = Vec::new();
        let cancel = |w: Arc<World>, hash: OrderHash, after_ms: u64| {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(after_ms)).await;
                let selection = CancelSelection::Hashes(vec![hash]);
                let done = w.service.cancel_orders(me, &selection).await;
                (
                    hash,
                    done.map(|r| r.order_hashes).map_err(|e| e.to_string()),
                )
            })
        };
        for (i, (old, new)) in (0u64..).zip(resting.iter().zip(&arriving)) {
            let (w2, items) = (Arc::clone(&w), [new.signed_by(&w.alice)]);
            accepts.push(tokio::spawn(async move {
                w2.service.place_orders(me, &items, None, NOW).await
            }));
            let w2 = Arc::clone(&w);
            credits.push(tokio::spawn(async move {
                w2.store
                    .credit_balance(me, Asset::Collateral, e18(1, 0), NOW)
                    .await
            }));
            cancels.push(cancel(Arc::clone(&w), old.hash(), 0));
            cancels.push(cancel(Arc::clone(&w), new.hash(), i % 20 * 10));
        }
        for accepted in accepts {
            let Placed::Fresh(r) = accepted.await.unwrap().unwrap() else {
                panic!("{backend}: replayed without a key");
            };
            assert_eq!(codes(&r.results), vec![None], "{backend}");
        }
        for credited in credits {
            credited.await.unwrap().expect("a credit beside acceptance");
        }
        let mut cancelled = Vec::new();
        for task in cancels {
            let (hash, done) = task.await.unwrap();
            let hashes = done.expect("a cancel beside acceptance");
            assert!(
                hashes.is_empty() || hashes == [hash],
                "{backend}: {hashes:?}"
            );
            cancelled.extend(hashes);
        }
        for old in &resting {
            assert!(
                cancelled.contains(&old.hash()),
                "{backend}: a resting order stays"
            );
        }
        w.matched(open_market()).await;
        // Each order is cancelled with nothing left reserved exactly when its cancel said so.
        let mut open = 0u64;
        for draft in resting.iter().chain(&arriving) {
            let o = w.store.order(&draft.hash()).await.unwrap().unwrap();
            let expected = if cancelled.contains(&draft.hash()) {
                (OrderStatus::Cancelled, Wei::ZERO)
            } else {
                open += 1;
                (OrderStatus::Open, e18(5, 0))
            };
            assert_eq!((o.status, o.reserved), expected, "{backend}");
        }
        let after = w.balance(&w.alice, Asset::Collateral).await;
        assert_eq!(
            after.reserved.0,
            e18(5, 0).0 * U256::from(open),
            "{backend}: {after:?}"
        );
        assert_eq!(
            after.available.0 + after.reserved.0,
            e18(1_000 + 60, 0).0,
            "{backend}: {after:?}"
        );
        // What is still open gives back exactly what it holds.
        let all = CancelSelection::Matching {
            market: None,
            outcome: None,
            side: None,
        };
        let rest = w.service.cancel_orders(me, &all).await.unwrap();
        assert_eq!(rest.cancelled_count as u64, open, "{backend}");
        assert_eq!(
            w.balance(&w.alice, Asset::Collateral).await,
            Balance {
                available: e18(1_000 + 60, 0),
                reserved: Wei::ZERO
            },
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_hash_another_instance_stored_is_a_duplicate_in_a_later_group() {
    a_hash_another_instance_stored_is_a_duplicate_in_a_later_group_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_hash_another_instance_stored_is_a_duplicate_in_a_later_group_on_postgres() {
    a_hash_another_instance_stored_is_a_duplicate_in_a_later_group_on(Backend::Postgres).await;
}

async fn a_hash_another_instance_stored_is_a_duplicate_in_a_later_group_on(backend: Backend) {
    on_backend(backend, |s, url, backend| async move {
        let (me, them) = (wallet(0xaa), wallet(0xbb));
        for w in [me, them] {
            s.credit_balance(w, Asset::Collateral, wei(100), T0)
                .await
                .unwrap();
        }
        accept(&s, vec![order(1, me, Side::Buy, 10)]).await;
        // Same hash as this wallet's next order: my balance is as this instance last saw it,
        // only the hash is taken.
        let Some(other) = other_instance(&url, backend).await else {
            return;
        };
        accept(&other, vec![order(2, them, Side::Buy, 10)]).await;
        other.close().await;
        for key in ["k1", "k2"] {
            claim_key(&s, me, key, "body", T0).await.unwrap();
        }
        let keyed = |orders, key: &str| {
            Submission::new(
                orders,
                Some(IdempotencyTarget {
                    wallet: me,
                    key: key.into(),
                }),
            )
        };
        let out = decide(
            &s,
            &[keyed(
                vec![order(2, me, Side::Buy, 10), order(3, me, Side::Buy, 10)],
                "k1",
            )],
        )
        .await;
        assert_eq!(
            out,
            vec![vec![Err(Refusal::Duplicate), Ok(())]],
            "{backend}"
        );
        let out = decide(&s, &[keyed(vec![order(4, me, Side::Buy, 10)], "k2")]).await;
        assert_eq!(out, vec![vec![Ok(())]], "{backend}");
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(70, 30),
            "{backend}"
        );
        let stored = s
            .order(&order(2, me, Side::Buy, 1).order_hash)
            .await
            .unwrap();
        assert_eq!(stored.map(|o| o.wallet), Some(them), "{backend}");
        for (key, response) in [("k1", "0:[Err(Duplicate), Ok(())]"), ("k2", "0:[Ok(())]")] {
            assert_eq!(
                claim_key(&s, me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Replay(response.into()),
                "{backend}: {key}"
            );
        }
    })
    .await;
}
