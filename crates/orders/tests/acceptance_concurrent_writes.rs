//! Acceptance beside other writers on both backends (SQLite; PostgreSQL in the `_on_postgres`
//! tests, which need `--include-ignored`): another instance storing a hash or changing a balance,
//! and credits and cancels interleaved with acceptance in one process.

#[path = "acceptance_common/mod.rs"]
mod common;

use common::*;
use orders::acceptance::{accept_group, Holdings, Refusal};
use orders::cancels::cancel_selected;
use orders::idempotency::{claim_key, IdempotencyClaim};
use sqlx::Connection;
use store::acceptance::{IdempotencyTarget, Submission};
use store::balances::Asset;
use store::cancels::CancelSelection;
use store::{Backend, Store, StoreError};
use test_support::on_backend;
use types::{OrderHash, Side, U256};

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
    on_backend(backend, |s, url, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        accept(&s, vec![order(1, me, Side::Buy, 60)]).await;
        // Lower than this process last saw (40 available): written behind its back.
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE balances SET available = '10'")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let out = decide(&s, &[submission(vec![order(2, me, Side::Buy, 20)])]).await;
        assert_eq!(out, vec![vec![short(20, 10)]], "{backend}");
        // Higher than it last saw: a cancel returns the 60.
        let cancelled = cancel_selected(
            &s,
            me,
            &CancelSelection::Hashes(vec![order(1, me, Side::Buy, 1).order_hash]),
            T0,
        )
        .await
        .unwrap();
        assert_eq!(cancelled.hashes.len(), 1, "{backend}");
        accept(&s, vec![order(3, me, Side::Buy, 60)]).await;
        // As this process last saw it: its response is kept with the orders as ever.
        claim_key(&s, me, "k", "body", T0).await.unwrap();
        let keyed = Submission::new(
            vec![order(4, me, Side::Buy, 10)],
            Some(IdempotencyTarget {
                wallet: me,
                key: "k".into(),
            }),
        );
        assert_eq!(decide(&s, &[keyed]).await, vec![vec![Ok(())]], "{backend}");
        assert_eq!(
            claim_key(&s, me, "k", "body", T0).await.unwrap(),
            IdempotencyClaim::Replay("0:[Ok(())]".into()),
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 70),
            "{backend}"
        );
    })
    .await;
}

/// On SQLite an optimistic acceptance writes through a connection of its own, beside the one
/// credits, cancels and the locking path use: interleaved in any order, no write may find the
/// database busy, and the ledger stays whole.
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
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(1_000), T0)
            .await
            .unwrap();
        let mut accepts = Vec::new();
        let mut others = Vec::new();
        for seed in 1..=120u8 {
            let s2 = s.clone();
            accepts.push(tokio::spawn(async move {
                let group = [submission(vec![order(seed, me, Side::Buy, 5)])];
                accept_group(&s2, &group, &Holdings::new(), T0, render).await
            }));
            let s2 = s.clone();
            others.push(tokio::spawn(async move {
                if seed % 2 == 0 {
                    s2.credit_balance(me, Asset::Collateral, wei(1), T0)
                        .await
                        .map(drop)
                } else {
                    // The order may not be stored yet: then there is nothing to cancel.
                    let hashes = vec![order(seed, me, Side::Buy, 5).order_hash];
                    let selection = CancelSelection::Hashes(hashes);
                    cancel_selected(&s2, me, &selection, T0).await.map(drop)
                }
            }));
        }
        for accepted in accepts {
            let out = accepted.await.unwrap().unwrap();
            assert_eq!(out, vec![vec![Ok(())]], "{backend}");
        }
        for other in others {
            other.await.unwrap().unwrap();
        }
        let after = s.balance(me, Asset::Collateral).await.unwrap();
        assert_eq!(
            after.available.0 + after.reserved.0,
            U256::from(1_000 + 60),
            "{backend}: {after:?}"
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
