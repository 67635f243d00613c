//! Idempotent responses committed in one transaction with the orders they answer, on both backends:
//! SQLite always; PostgreSQL in the `_on_postgres` tests, which need `--include-ignored`.

#[path = "acceptance_common/mod.rs"]
mod common;

use common::*;
use orders::acceptance::{accept_group, Holdings};
use orders::idempotency::{claim_key, IdempotencyClaim};
use store::acceptance::{IdempotencyTarget, Submission};
use store::balances::Asset;
use test_support::{on_backend, Backend};
use types::Side;

#[tokio::test]
async fn the_idempotent_response_commits_with_the_orders() {
    the_idempotent_response_commits_with_the_orders_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn the_idempotent_response_commits_with_the_orders_on_postgres() {
    the_idempotent_response_commits_with_the_orders_on(Backend::Postgres).await;
}

async fn the_idempotent_response_commits_with_the_orders_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(10), T0)
            .await
            .unwrap();
        for key in ["k1", "k2"] {
            assert_eq!(
                claim_key(&s, me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Claimed
            );
        }
        let target = |key: &str| {
            Some(IdempotencyTarget {
                wallet: me,
                key: key.into(),
            })
        };
        let group = vec![
            Submission::new(vec![order(1, me, Side::Buy, 10)], target("k1")),
            // Every order refused: the response is still kept for the key.
            Submission::new(vec![order(2, me, Side::Buy, 10)], target("k2")),
        ];
        accept_group(&s, &group, &Holdings::new(), T0, render)
            .await
            .unwrap();
        assert_eq!(
            claim_key(&s, me, "k1", "body", T0).await.unwrap(),
            IdempotencyClaim::Replay("0:[Ok(())]".into()),
            "{backend}"
        );
        assert_eq!(
            claim_key(&s, me, "k2", "body", T0).await.unwrap(),
            IdempotencyClaim::Replay(
                "1:[Err(InsufficientBalance { needs: Wei(10), available: Wei(0) })]".into()
            ),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_response_commits_with_a_group_accepted_against_known_balances() {
    a_response_commits_with_a_group_accepted_against_known_balances_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_response_commits_with_a_group_accepted_against_known_balances_on_postgres() {
    a_response_commits_with_a_group_accepted_against_known_balances_on(Backend::Postgres).await;
}

async fn a_response_commits_with_a_group_accepted_against_known_balances_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        // The first group reads the balance (the locking path); the next ones are decided
        // against what it left, so on PostgreSQL their responses are kept by the optimistic
        // statement with responses (the test fails when that statement leaves them out).
        let first = vec![Submission::new(vec![order(1, me, Side::Buy, 10)], None)];
        accept_group(&s, &first, &Holdings::new(), T0, render)
            .await
            .unwrap();
        for (seed, key) in [(2, "k1"), (3, "k2")] {
            assert_eq!(
                claim_key(&s, me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Claimed
            );
            let target = IdempotencyTarget {
                wallet: me,
                key: key.into(),
            };
            let group = vec![Submission::new(
                vec![order(seed, me, Side::Buy, 10)],
                Some(target),
            )];
            let outcomes = accept_group(&s, &group, &Holdings::new(), T0, render)
                .await
                .unwrap();
            assert_eq!(outcomes, vec![vec![Ok(())]], "{backend}");
            assert_eq!(
                claim_key(&s, me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Replay("0:[Ok(())]".into()),
                "{backend}"
            );
        }
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(70, 30),
            "{backend}"
        );
    })
    .await;
}
