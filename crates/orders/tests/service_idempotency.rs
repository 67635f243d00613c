//! Idempotency keys through the order service: a replay of the response committed with the orders,
//! and a request whose key is still in flight. SQLite always; PostgreSQL in the `_on_postgres`
//! tests, which need `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use std::sync::Arc;
use std::time::Duration;

use orders::{IdempotencyKey, Placed, WriterConfig};
use serde_json::Value;
use service_common::*;
use store::balances::Asset;
use test_support::{on_backend, Backend};
use types::{ErrorCode, Side};

#[tokio::test]
async fn the_same_key_and_body_replays_the_response_committed_with_the_orders() {
    the_same_key_and_body_replays_the_response_committed_with_the_orders_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn the_same_key_and_body_replays_the_response_committed_with_the_orders_on_postgres() {
    the_same_key_and_body_replays_the_response_committed_with_the_orders_on(Backend::Postgres)
        .await;
}

async fn the_same_key_and_body_replays_the_response_committed_with_the_orders_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let alice = &w.alice;
        w.credit(alice, Asset::Collateral, e18(10, 0)).await;
        let items = vec![Draft::new(alice, Side::Buy, 50, 1_000, 1).signed_by(alice)];
        let key = IdempotencyKey {
            key: "retry-1",
            request_hash: "body-1",
        };
        let first = w
            .service
            .place_orders(alice.wallet(), &items, Some(key), NOW)
            .await
            .unwrap();
        let Placed::Fresh(response) = first else {
            panic!("{backend}: first request replayed");
        };
        let replay = w
            .service
            .place_orders(alice.wallet(), &items, Some(key), NOW)
            .await
            .unwrap();
        assert_eq!(
            replay,
            Placed::Replayed(serde_json::to_string(&response).unwrap()),
            "{backend}"
        );
        let other_body = IdempotencyKey {
            key: "retry-1",
            request_hash: "body-2",
        };
        let err = w
            .service
            .place_orders(alice.wallet(), &items, Some(other_body), NOW)
            .await
            .unwrap_err();
        assert_eq!(
            RequestFailure::from(err).code,
            ErrorCode::IdempotencyConflict
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await.reserved,
            e18(5, 0),
            "{backend}: reserved once"
        );
    })
    .await;
}

/// The idempotency key both requests of the in-flight tests send, with the same body.
const IN_FLIGHT_KEY: IdempotencyKey<'static> = IdempotencyKey {
    key: "in-flight",
    request_hash: "body-1",
};

type PlaceTask = tokio::task::JoinHandle<Result<Placed, RequestFailure>>;

/// Spawns `w`'s Alice placing `items` with [`IN_FLIGHT_KEY`].
fn place_keyed(w: &Arc<World>, items: &[Value]) -> PlaceTask {
    let (w, items) = (Arc::clone(w), items.to_vec());
    tokio::spawn(async move {
        w.service
            .place_orders(w.alice.wallet(), &items, Some(IN_FLIGHT_KEY), NOW)
            .await
            .map_err(RequestFailure::from)
    })
}

/// The `first` keyed request is answered fresh with its order accepted, the one `later`
/// gives replays that answer, and the order (5.00 of collateral) is reserved once.
async fn answered_once(
    w: &World,
    backend: &str,
    first: PlaceTask,
    later: impl FnOnce() -> PlaceTask,
) {
    let Placed::Fresh(response) = first.await.unwrap().unwrap() else {
        panic!("{backend}: the first request replayed");
    };
    assert!(response.results[0].accepted().is_some(), "{backend}");
    assert_eq!(
        later().await.unwrap().unwrap(),
        Placed::Replayed(serde_json::to_string(&response).unwrap()),
        "{backend}"
    );
    assert_eq!(
        w.balance(&w.alice, Asset::Collateral).await.reserved,
        e18(5, 0),
        "{backend}: reserved once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_key_is_in_flight_waits_and_replays_the_first_answer() {
    a_request_whose_key_is_in_flight_waits_and_replays_the_first_answer_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_request_whose_key_is_in_flight_waits_and_replays_the_first_answer_on_postgres() {
    a_request_whose_key_is_in_flight_waits_and_replays_the_first_answer_on(Backend::Postgres).await;
}

async fn a_request_whose_key_is_in_flight_waits_and_replays_the_first_answer_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let (w, writer, handle) = World::paused(store, url, backend, WriterConfig::default()).await;
        let w = Arc::new(w);
        w.credit(&w.alice, Asset::Collateral, e18(10, 0)).await;
        let items = [Draft::new(&w.alice, Side::Buy, 50, 1_000, 1).signed_by(&w.alice)];
        let first = place_keyed(&w, &items);
        until_queued(&handle, 1).await;
        let second = place_keyed(&w, &items);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !second.is_finished(),
            "{backend}: answered while the first is in flight"
        );
        assert_eq!(
            handle.queued(),
            1,
            "{backend}: the second never reaches the writer"
        );

        writer.spawn();
        answered_once(&w, backend, first, || second).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_key_stays_in_flight_past_the_wait_is_a_409_and_changes_nothing() {
    a_request_whose_key_stays_in_flight_past_the_wait_is_a_409_and_changes_nothing_on(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_request_whose_key_stays_in_flight_past_the_wait_is_a_409_and_changes_nothing_on_postgres(
) {
    a_request_whose_key_stays_in_flight_past_the_wait_is_a_409_and_changes_nothing_on(
        Backend::Postgres,
    )
    .await;
}

async fn a_request_whose_key_stays_in_flight_past_the_wait_is_a_409_and_changes_nothing_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        let (mut w, writer, handle) =
            World::paused(store, url, backend, WriterConfig::default()).await;
        w.service = w.service.with_in_flight_wait(Duration::from_millis(50));
        let w = Arc::new(w);
        w.credit(&w.alice, Asset::Collateral, e18(10, 0)).await;
        let items = [Draft::new(&w.alice, Side::Buy, 50, 1_000, 1).signed_by(&w.alice)];
        let first = place_keyed(&w, &items);
        until_queued(&handle, 1).await;
        let refused = place_keyed(&w, &items).await.unwrap().unwrap_err();
        assert_eq!(refused.code, ErrorCode::IdempotencyConflict, "{backend}");
        assert!(
            refused.message.contains("still being processed"),
            "{backend}: {}",
            refused.message
        );

        writer.spawn();
        // A retry once the first is answered replays it.
        answered_once(&w, backend, first, || place_keyed(&w, &items)).await;
    })
    .await;
}
