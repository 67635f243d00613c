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
