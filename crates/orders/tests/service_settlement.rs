//! The settlement seam (docs/engine.md, "Settlement"): a backend that refuses every trade
//! leaves nothing of it settled. SQLite always; PostgreSQL in the `_on_postgres` test, which
//! needs `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use std::sync::Arc;

use engine::{Settlement, SettlementError};
use orders::FillsQuery;
use service_common::*;
use store::balances::{Asset, Balance};
use test_support::{on_backend, Backend};
use types::{OrderStatus, Side};

/// Refuses every trade, as a chain that rejects the match would.
struct Refusing;

impl Settlement for Refusing {
    fn settle(&self, _trade: &engine::core::Fill) -> Result<(), SettlementError> {
        Err(SettlementError(
            "the test backend refuses every trade".into(),
        ))
    }
}

#[tokio::test]
async fn a_refused_settlement_fails_the_fills_releases_the_reservations_and_moves_nothing() {
    refused_settlement_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_refused_settlement_fails_the_fills_releases_the_reservations_and_moves_nothing_on_postgres(
) {
    refused_settlement_on(Backend::Postgres).await;
}

async fn refused_settlement_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::settling_with(store, url, backend, Arc::new(Refusing)).await;
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        w.credit(bob, yes(), e18(100, 0)).await;
        // Bob's ask rests; alice's bid crosses part of it.
        let ask = Draft::new(bob, Side::Sell, 40, 2_000, 1);
        let bid = Draft::new(alice, Side::Buy, 50, 1_000, 2);
        assert_eq!(
            codes(&w.place(bob, vec![ask.signed_by(bob)]).await),
            vec![None]
        );
        assert_eq!(
            codes(&w.place(alice, vec![bid.signed_by(alice)]).await),
            vec![None]
        );
        w.matched(open_market()).await;

        assert_eq!(
            w.status(&bid.hash()).await,
            OrderStatus::MatchFailed,
            "{backend}"
        );
        assert_eq!(
            w.status(&ask.hash()).await,
            OrderStatus::MatchFailed,
            "{backend}"
        );
        let fills = w
            .service
            .fills(
                alice.wallet(),
                &FillsQuery {
                    limit: 20,
                    ..FillsQuery::default()
                },
            )
            .await
            .expect("alice's fills");
        assert_eq!(fills.data.len(), 1, "{backend}");
        assert_eq!(fills.data[0].status, "FAILED", "{backend}");
        // Everything reserved is back; nothing moved either way.
        let untouched = |amount| Balance {
            available: amount,
            reserved: wei(0),
        };
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            untouched(e18(100, 0))
        );
        assert_eq!(w.balance(alice, yes()).await, untouched(wei(0)));
        assert_eq!(w.balance(bob, yes()).await, untouched(e18(100, 0)));
        assert_eq!(w.balance(bob, Asset::Collateral).await, untouched(wei(0)));
        let positions = w
            .service
            .positions(alice.wallet(), None)
            .await
            .expect("alice's positions");
        assert!(positions.data.is_empty(), "{backend}: {positions:?}");
    })
    .await;
}

/// A batch that fails on its own input (here: the resting bid's reserved collateral was
/// zeroed behind the ledger's back, so a fill cannot spend it) does not stop its market: the
/// incoming order that keeps failing is set aside, and the market goes on with the others
/// instead of retrying the same batch for ever.
#[tokio::test]
async fn a_batch_that_fails_on_its_own_input_does_not_stop_its_market() {
    failing_batch_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_batch_that_fails_on_its_own_input_does_not_stop_its_market_on_postgres() {
    failing_batch_on(Backend::Postgres).await;
}

async fn failing_batch_on(backend: Backend) {
    use sqlx::Connection;
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url.clone(), backend).await;
        let (alice, bob) = (&w.alice, &w.bob);
        let carol = common::TestKey::named("carol");
        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        w.credit(&carol, Asset::Collateral, e18(100, 0)).await;
        w.credit(bob, yes(), e18(100, 0)).await;
        let bid = Draft::new(alice, Side::Buy, 50, 1_000, 1);
        assert_eq!(
            codes(&w.place(alice, vec![bid.signed_by(alice)]).await),
            vec![None]
        );
        w.matched(open_market()).await;
        let mut conn = sqlx::AnyConnection::connect(&url)
            .await
            .expect("a connection");
        sqlx::query("UPDATE balances SET reserved = '0' WHERE asset = 'collateral'")
            .execute(&mut conn)
            .await
            .expect("the balance is corrupted");
        conn.close().await.expect("closed");

        let ask = Draft::new(bob, Side::Sell, 50, 1_000, 2);
        assert_eq!(
            codes(&w.place(bob, vec![ask.signed_by(bob)]).await),
            vec![None]
        );
        // The matcher comes back to its queue: a request sent now is answered (one sent while
        // the failing batch is retried may get that batch's error).
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let asked = w.engine.cancel(
                open_market(),
                carol.wallet(),
                engine::CancelTarget::Hashes(Vec::new()),
            );
            if let Ok(Ok(_)) = tokio::time::timeout(std::time::Duration::from_secs(1), asked).await
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{backend}: the matcher no longer answers"
            );
        }
        let later = Draft::new(&carol, Side::Buy, 30, 500, 3);
        assert_eq!(
            codes(&w.place(&carol, vec![later.signed_by(&carol)]).await),
            vec![None]
        );
        // The later order rests: the market was not stopped by the failing one.
        let mut rested = false;
        for _ in 0..500 {
            let order = w
                .store
                .order(&later.hash())
                .await
                .expect("read")
                .expect("stored");
            if order.book_added_at.is_some() {
                rested = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(rested, "{backend}: the later order never reached the book");
        // The failing order was set aside unprocessed: live, still holding its tokens.
        assert_eq!(w.status(&ask.hash()).await, OrderStatus::Open, "{backend}");
        assert_eq!(
            w.balance(bob, yes()).await.reserved,
            e18(10, 0),
            "{backend}"
        );
    })
    .await;
}
