//! Acceptance that fails on both backends (SQLite; PostgreSQL in the `_on_postgres` tests, which
//! need `--include-ignored`): a commit failing midway leaves nothing behind, and a closed store
//! accepts nothing.

#[path = "acceptance_common/mod.rs"]
mod common;

use common::*;
use orders::acceptance::{accept_group, Holdings};
use orders::idempotency::{claim_key, IdempotencyClaim};
use orders::GroupCommitError;
use store::acceptance::{IdempotencyTarget, Submission};
use store::balances::Asset;
use store::{Store, StoreError};
use test_support::{on_backend, poison_order_inserts, Backend};
use types::{Side, U256};

#[tokio::test]
async fn a_failure_midway_leaves_no_order_no_reservation_and_no_response() {
    a_failure_midway_leaves_no_order_no_reservation_and_no_response_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_failure_midway_leaves_no_order_no_reservation_and_no_response_on_postgres() {
    a_failure_midway_leaves_no_order_no_reservation_and_no_response_on(Backend::Postgres).await;
}

async fn a_failure_midway_leaves_no_order_no_reservation_and_no_response_on(backend: Backend) {
    on_backend(backend, |s, url, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        claim_key(&s, me, "k", "body", T0).await.unwrap();
        let bad = order(3, me, Side::Buy, 1);
        poison_order_inserts(&url, s.backend(), &bad.order_hash).await;
        let group = vec![
            Submission::new(
                vec![order(1, me, Side::Buy, 10)],
                Some(IdempotencyTarget {
                    wallet: me,
                    key: "k".into(),
                }),
            ),
            submission(vec![order(2, me, Side::Buy, 10), bad]),
        ];
        let err = accept_group(&s, &group, &Holdings::new(), T0, render)
            .await
            .unwrap_err();
        // The credit's balance is known to the store, so the group is written optimistically:
        // on SQLite through its direct connection, whose errors are rusqlite's.
        assert!(
            matches!(
                err,
                GroupCommitError::Store(StoreError::Database(_) | StoreError::Sqlite(_))
            ),
            "{backend}: {err}"
        );
        for seed in [1, 2, 3] {
            let hash = order(seed, me, Side::Buy, 1).order_hash;
            assert_eq!(s.order(&hash).await.unwrap(), None, "{backend}: {seed}");
        }
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(100, 0),
            "{backend}"
        );
        assert_eq!(
            claim_key(&s, me, "k", "body", T0).await.unwrap(),
            IdempotencyClaim::InFlight,
            "{backend}: no response was kept"
        );
        // The store is usable afterwards: the write connection was given back clean.
        let out = accept_group(
            &s,
            &[submission(vec![order(1, me, Side::Buy, 10)])],
            &Holdings::new(),
            T0,
            render,
        )
        .await
        .unwrap();
        assert_eq!(out, vec![vec![Ok(())]], "{backend}");
        // Each hash finds its own row, across the rolled-back attempt's unused rows.
        accept(&s, vec![order(4, me, Side::Buy, 10)]).await;
        for seed in [1, 4] {
            let stored = s.order(&order(seed, me, Side::Buy, 1).order_hash).await;
            assert_eq!(
                stored.unwrap().map(|o| o.salt),
                Some(U256::from(seed)),
                "{backend}"
            );
        }
    })
    .await;
}

/// Once the store is closed (shutdown after the writer's drain timed out), a group that was
/// still coming is refused as unavailable and nothing of it is stored: neither path reconnects.
#[tokio::test]
async fn a_closed_store_accepts_nothing() {
    a_closed_store_accepts_nothing_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_closed_store_accepts_nothing_on_postgres() {
    a_closed_store_accepts_nothing_on(Backend::Postgres).await;
}

async fn a_closed_store_accepts_nothing_on(backend: Backend) {
    on_backend(backend, |s, url, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        // The first group leaves hints, so the next one would go the optimistic way.
        let first = vec![submission(vec![order(1, me, Side::Buy, 10)])];
        accept_group(&s, &first, &Holdings::new(), T0, render)
            .await
            .unwrap();
        s.close().await;

        let late = vec![submission(vec![order(2, me, Side::Buy, 10)])];
        let err = accept_group(&s, &late, &Holdings::new(), T0, render)
            .await
            .expect_err("a closed store accepted a group");
        assert!(err.is_unavailable(), "{backend}: {err}");

        let reopened = Store::connect(&url, &store::StoreOptions::default())
            .await
            .unwrap();
        assert_eq!(
            reopened
                .order(&order(2, me, Side::Buy, 10).order_hash)
                .await
                .unwrap(),
            None,
            "{backend}"
        );
        assert_eq!(
            reopened.balance(me, Asset::Collateral).await.unwrap(),
            balance(90, 10),
            "{backend}"
        );
        reopened.close().await;
    })
    .await;
}
