//! When a writer that is behind waits to fill a group: for requests still verifying, for no longer
//! than they verify or than its wait, and never when it was idle. SQLite always; PostgreSQL in the
//! `_on_postgres` tests, which need `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use std::sync::Arc;
use std::time::Duration;

use common::TestKey;
use orders::views::PlaceResponse;
use orders::{AcceptanceHandle, Announced, Placed, ServiceError, WriterConfig};
use service_common::*;
use store::balances::Asset;
use store::Store;
use test_support::{on_backend, Backend};
use types::Side;

/// A writer that fills groups up to `orders` while `verifying` requests are announced, for at
/// most `wait`.
fn filling(orders: usize, verifying: usize, wait: Duration) -> WriterConfig {
    WriterConfig {
        fill_orders: orders,
        fill_verifying: verifying,
        fill_wait: wait,
        ..WriterConfig::default()
    }
}

/// Places one order of `who`'s on a task; the task ends when the order's group has committed.
fn place_one_later(
    w: &Arc<World>,
    who: &TestKey,
    salt: u64,
) -> tokio::task::JoinHandle<Result<Placed, ServiceError>> {
    let w = Arc::clone(w);
    let items = vec![Draft::new(who, Side::Buy, 50, 1_000, salt).signed_by(who)];
    let wallet = who.wallet();
    tokio::spawn(async move { w.service.place_orders(wallet, &items, None, NOW).await })
}

/// How long a test gives a commit that must happen at once.
const PROMPTLY: Duration = Duration::from_secs(20);

/// A wait to fill that no test sees the end of.
const LONG: Duration = Duration::from_secs(60);

/// The response of a request placed with [`place_one_later`], which must come `PROMPTLY`.
async fn committed(
    placed: tokio::task::JoinHandle<Result<Placed, ServiceError>>,
    why: &str,
) -> PlaceResponse {
    match tokio::time::timeout(PROMPTLY, placed).await {
        Ok(Ok(Ok(Placed::Fresh(r)))) => r,
        Ok(other) => panic!("{why}: {other:?}"),
        Err(_) => panic!("{why}: not committed within {PROMPTLY:?}"),
    }
}

/// A writer that is behind: one request of alice's was queued before it started, and
/// `verifying` requests (of bob's, in the same partition) are announced and not submitted.
struct Behind {
    w: Arc<World>,
    handle: AcceptanceHandle,
    first: tokio::task::JoinHandle<Result<Placed, ServiceError>>,
    verifying: Vec<Announced>,
    /// Just before the writer was started.
    started: tokio::time::Instant,
}

async fn behind(
    store: Store,
    url: String,
    backend: &'static str,
    config: WriterConfig,
    verifying: usize,
) -> Behind {
    let (w, writer, handle) = World::paused(store, url, backend, config).await;
    let w = Arc::new(w);
    w.credit(&w.alice, Asset::Collateral, e18(100, 0)).await;
    w.credit(&w.bob, Asset::Collateral, e18(100, 0)).await;
    let first = place_one_later(&w, &w.alice, 1);
    until_queued(&handle, 1).await;
    let verifying = (0..verifying)
        .map(|_| handle.announce(w.bob.wallet()))
        .collect();
    let started = tokio::time::Instant::now();
    writer.spawn();
    Behind {
        w,
        handle,
        first,
        verifying,
        started,
    }
}

fn group_totals(handle: &AcceptanceHandle) -> (u64, u64, u64) {
    let s = handle.stats();
    (s.groups, s.requests, s.orders)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_behind_waits_for_a_request_still_verifying_and_no_longer_than_it_verifies() {
    a_writer_behind_waits_for_a_request_still_verifying_and_no_longer_than_it_verifies_on(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_writer_behind_waits_for_a_request_still_verifying_and_no_longer_than_it_verifies_on_postgres(
) {
    a_writer_behind_waits_for_a_request_still_verifying_and_no_longer_than_it_verifies_on(
        Backend::Postgres,
    )
    .await;
}

async fn a_writer_behind_waits_for_a_request_still_verifying_and_no_longer_than_it_verifies_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        let b = behind(store, url, backend, filling(45, 1, LONG), 1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !b.first.is_finished(),
            "{backend}: committed without waiting"
        );
        assert_eq!(group_totals(&b.handle), (0, 0, 0), "{backend}");
        // The other request fails before submitting: nothing more is coming.
        drop(b.verifying);
        let r = committed(b.first, "once no request was verifying").await;
        assert!(r.results[0].accepted().is_some(), "{backend}");
        assert_eq!(group_totals(&b.handle), (1, 1, 1), "{backend}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_group_takes_the_requests_that_arrive_and_commits_them_together() {
    a_waiting_group_takes_the_requests_that_arrive_and_commits_them_together_on(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_waiting_group_takes_the_requests_that_arrive_and_commits_them_together_on_postgres() {
    a_waiting_group_takes_the_requests_that_arrive_and_commits_them_together_on(Backend::Postgres)
        .await;
}

async fn a_waiting_group_takes_the_requests_that_arrive_and_commits_them_together_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        // Waits for three orders; the announced request stays verifying throughout.
        let b = behind(store, url, backend, filling(3, 1, LONG), 1).await;
        // Two more requests arrive while the group waits; each is announced while it verifies.
        let second = place_one_later(&b.w, &b.w.bob, 2);
        let third = place_one_later(&b.w, &b.w.alice, 3);
        for placed in [b.first, second, third] {
            let r = committed(placed, "once the group held three orders").await;
            assert!(r.results[0].accepted().is_some(), "{backend}");
        }
        assert_eq!(group_totals(&b.handle), (1, 3, 3), "{backend}");
        for (who, reserved) in [(&b.w.alice, e18(10, 0)), (&b.w.bob, e18(5, 0))] {
            let balance = b.w.balance(who, Asset::Collateral).await;
            assert_eq!(balance.reserved, reserved, "{backend}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_does_not_wait_for_too_few_requests_verifying_nor_when_it_was_idle() {
    a_writer_does_not_wait_for_too_few_requests_verifying_nor_when_it_was_idle_on(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_writer_does_not_wait_for_too_few_requests_verifying_nor_when_it_was_idle_on_postgres() {
    a_writer_does_not_wait_for_too_few_requests_verifying_nor_when_it_was_idle_on(
        Backend::Postgres,
    )
    .await;
}

async fn a_writer_does_not_wait_for_too_few_requests_verifying_nor_when_it_was_idle_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        // Behind, but one request verifying where it takes two to keep a group waiting.
        let mut b = behind(store, url, backend, filling(45, 2, LONG), 1).await;
        committed(b.first, "with one request verifying").await;
        // Two verifying now, but a request that finds the writer free is committed at once.
        b.verifying.push(b.handle.announce(b.w.bob.wallet()));
        // The writer goes back to waiting for its queue as soon as it has answered; this
        // leaves it ample time to get there.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let idle = place_one_later(&b.w, &b.w.alice, 2);
        committed(idle, "at once by an idle writer").await;
        assert_eq!(group_totals(&b.handle), (2, 2, 2), "{backend}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_group_commits_when_its_wait_is_over() {
    a_waiting_group_commits_when_its_wait_is_over_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_waiting_group_commits_when_its_wait_is_over_on_postgres() {
    a_waiting_group_commits_when_its_wait_is_over_on(Backend::Postgres).await;
}

async fn a_waiting_group_commits_when_its_wait_is_over_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        // The announced request stays verifying, as far as the writer can tell.
        let wait = Duration::from_millis(200);
        let b = behind(store, url, backend, filling(45, 1, wait), 1).await;
        committed(b.first, "once the wait was over").await;
        assert!(b.started.elapsed() >= wait, "{backend}: did not wait");
        assert_eq!(group_totals(&b.handle), (1, 1, 1), "{backend}");
    })
    .await;
}
