//! The rules of an idempotency key's claim (orders::idempotency) on both backends: replay,
//! conflict, in flight, given up, expired and purged; and the bound on a wallet's keys.

#[path = "acceptance_common/mod.rs"]
mod common;

use common::*;
use orders::idempotency::{
    claim_key, purge_expired_keys, IdempotencyClaim, IdempotencyKeys, Swept, IDEMPOTENCY_WINDOW_MS,
};
use store::idempotency::IdempotentResponse;
use store::{Store, StoreOptions};
use test_support::{on_backend, Backend};
use types::{Side, Timestamp};

#[tokio::test]
async fn same_key_same_body_replays_the_response_stored_with_the_orders_even_after_a_restart() {
    same_key_same_body_replays_the_response_stored_with_the_orders_even_after_a_restart_on(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn same_key_same_body_replays_the_response_stored_with_the_orders_even_after_a_restart_on_postgres(
) {
    same_key_same_body_replays_the_response_stored_with_the_orders_even_after_a_restart_on(
        Backend::Postgres,
    )
    .await;
}

async fn same_key_same_body_replays_the_response_stored_with_the_orders_even_after_a_restart_on(
    backend: Backend,
) {
    on_backend(backend, |s, url, backend| async move {
        let me = wallet(0xaa);
        let t0 = Timestamp(1_000_000);
        assert_eq!(
            claim_key(&s, me, "k1", "body-a", t0).await.unwrap(),
            IdempotencyClaim::Claimed,
            "{backend}"
        );
        // A concurrent retry while the first request is still being answered.
        assert_eq!(
            claim_key(&s, me, "k1", "body-a", t0).await.unwrap(),
            IdempotencyClaim::InFlight,
            "{backend}"
        );
        let response = r#"{"results":[{"order_hash":"0x01"}]}"#;
        let a = order(1, me, Side::Buy, 10);
        s.insert_orders(
            std::slice::from_ref(&a),
            Some(&IdempotentResponse {
                wallet: me,
                key: "k1",
                response,
            }),
        )
        .await
        .unwrap();
        s.close().await;
        let restarted = Store::connect(&url, &StoreOptions::default())
            .await
            .unwrap();
        // The restarted store knows the order by its hash, and refuses to store it twice
        // (on SQLite its hash index is rebuilt from the table).
        assert_eq!(
            restarted
                .order(&a.order_hash)
                .await
                .unwrap()
                .map(|o| o.order_hash),
            Some(a.order_hash),
            "{backend}"
        );
        assert_eq!(
            restarted
                .insert_orders(std::slice::from_ref(&a), None)
                .await
                .unwrap(),
            vec![false],
            "{backend}"
        );
        let later = Timestamp(t0.0 + IDEMPOTENCY_WINDOW_MS - 1);
        assert_eq!(
            claim_key(&restarted, me, "k1", "body-a", later)
                .await
                .unwrap(),
            IdempotencyClaim::Replay(response.to_owned()),
            "{backend}"
        );
        assert_eq!(
            claim_key(&restarted, me, "k1", "body-b", later)
                .await
                .unwrap(),
            IdempotencyClaim::Conflict,
            "{backend}"
        );
        // Keys are per wallet: another wallet's "k1" is its own.
        assert_eq!(
            claim_key(&restarted, wallet(0xbb), "k1", "body-b", later)
                .await
                .unwrap(),
            IdempotencyClaim::Claimed,
            "{backend}"
        );
        // After 24 h the key is free again, whatever the body.
        let next_day = Timestamp(t0.0 + IDEMPOTENCY_WINDOW_MS);
        assert_eq!(
            claim_key(&restarted, me, "k1", "body-b", next_day)
                .await
                .unwrap(),
            IdempotencyClaim::Claimed,
            "{backend}"
        );
        restarted.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_claim_that_never_answered_is_released_or_given_up() {
    a_claim_that_never_answered_is_released_or_given_up_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_claim_that_never_answered_is_released_or_given_up_on_postgres() {
    a_claim_that_never_answered_is_released_or_given_up_on(Backend::Postgres).await;
}

async fn a_claim_that_never_answered_is_released_or_given_up_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        let t0 = Timestamp(5_000_000);
        assert_eq!(
            claim_key(&s, me, "k", "body", t0).await.unwrap(),
            IdempotencyClaim::Claimed
        );
        s.release_idempotency_key(me, "k").await.unwrap();
        assert_eq!(
            claim_key(&s, me, "k", "body", t0).await.unwrap(),
            IdempotencyClaim::Claimed,
            "{backend}: released"
        );
        // The instance died before answering: a minute later the key can be claimed again.
        assert_eq!(
            claim_key(&s, me, "k", "body", Timestamp(t0.0 + 59_999))
                .await
                .unwrap(),
            IdempotencyClaim::InFlight,
            "{backend}"
        );
        assert_eq!(
            claim_key(&s, me, "k", "body", Timestamp(t0.0 + 60_000))
                .await
                .unwrap(),
            IdempotencyClaim::Claimed,
            "{backend}: abandoned"
        );
        // A batch whose every item was refused stores its response without orders.
        let response = r#"{"results":[{"error":{"code":"DRIFTED_AMOUNTS"}}]}"#;
        s.complete_idempotency_key(&IdempotentResponse {
            wallet: me,
            key: "k",
            response,
        })
        .await
        .unwrap();
        // Releasing an answered key changes nothing.
        s.release_idempotency_key(me, "k").await.unwrap();
        assert_eq!(
            claim_key(&s, me, "k", "body", Timestamp(t0.0 + 61_000))
                .await
                .unwrap(),
            IdempotencyClaim::Replay(response.to_owned()),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn keys_older_than_the_window_are_purged() {
    keys_older_than_the_window_are_purged_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn keys_older_than_the_window_are_purged_on_postgres() {
    keys_older_than_the_window_are_purged_on(Backend::Postgres).await;
}

async fn keys_older_than_the_window_are_purged_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        claim_key(&s, me, "old", "b", Timestamp(0)).await.unwrap();
        claim_key(&s, me, "new", "b", Timestamp(10_000))
            .await
            .unwrap();
        let purged = purge_expired_keys(&s, Timestamp(IDEMPOTENCY_WINDOW_MS + 5_000))
            .await
            .unwrap();
        assert_eq!(purged, 1, "{backend}");
        assert_eq!(
            claim_key(&s, me, "new", "b", Timestamp(20_000))
                .await
                .unwrap(),
            IdempotencyClaim::InFlight,
            "{backend}: the recent key is still there"
        );
    })
    .await;
}

#[tokio::test]
async fn a_wallet_keeps_its_most_recent_keys_and_the_sweep_recounts_and_trims() {
    a_wallet_keeps_its_most_recent_keys_and_the_sweep_recounts_and_trims_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_wallet_keeps_its_most_recent_keys_and_the_sweep_recounts_and_trims_on_postgres() {
    a_wallet_keeps_its_most_recent_keys_and_the_sweep_recounts_and_trims_on(Backend::Postgres)
        .await;
}

async fn a_wallet_keeps_its_most_recent_keys_and_the_sweep_recounts_and_trims_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let (me, other) = (wallet(0xaa), wallet(0xbb));
        let keys = IdempotencyKeys::new(s.clone(), 10);
        let claim = |k: String, at: i64| {
            let keys = &keys;
            async move { keys.claim(me, &k, "b", Timestamp(at)).await.unwrap() }
        };
        for n in 0..10 {
            assert_eq!(
                claim(format!("k{n:02}"), n).await,
                IdempotencyClaim::Claimed
            );
        }
        let count = |w| {
            let s = s.clone();
            async move {
                s.idempotency_key_counts()
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|(x, _)| *x == w)
                    .map_or(0, |(_, n)| n)
            }
        };
        assert_eq!(count(me).await, 10, "{backend}");
        // The eleventh trims to nine tenths of the bound, oldest first.
        claim("k10".into(), 10).await;
        assert_eq!(count(me).await, 9, "{backend}");
        assert_eq!(
            claim("k01".into(), 11).await,
            IdempotencyClaim::Claimed,
            "{backend}: evicted"
        );
        assert_eq!(
            claim("k03".into(), 12).await,
            IdempotencyClaim::InFlight,
            "{backend}: kept"
        );
        // Claims through another instance are counted and trimmed by the next sweep.
        for n in 0..15 {
            claim_key(&s, other, &format!("o{n:02}"), "b", Timestamp(n))
                .await
                .unwrap();
        }
        let swept = keys.sweep(Timestamp(20)).await.unwrap();
        assert_eq!(
            swept,
            Swept {
                expired: 0,
                trimmed: 6
            },
            "{backend}"
        );
        assert_eq!(count(other).await, 9, "{backend}");
        // Releasing a claim frees its place in the count.
        keys.release(me, "k03").await.unwrap();
        assert_eq!(
            claim("k03".into(), 13).await,
            IdempotencyClaim::Claimed,
            "{backend}"
        );
    })
    .await;
}
