//! The order service's reads: orders listed by status group a page at a time, and one order's view.
//! SQLite always; PostgreSQL in the `_on_postgres` tests, which need `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use orders::{CancelSelection, OrdersQuery, StatusGroup};
use serde_json::json;
use service_common::*;
use store::balances::Asset;
use test_support::{on_backend, Backend};
use types::{ErrorCode, OrderHash, OrderStatus, Side, Size, Timestamp};

#[tokio::test]
async fn orders_are_listed_by_status_group_a_page_at_a_time() {
    orders_are_listed_by_status_group_a_page_at_a_time_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn orders_are_listed_by_status_group_a_page_at_a_time_on_postgres() {
    orders_are_listed_by_status_group_a_page_at_a_time_on(Backend::Postgres).await;
}

async fn orders_are_listed_by_status_group_a_page_at_a_time_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let (alice, bob) = (&w.alice, &w.bob);
        let started = Timestamp::now();
        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        w.credit(bob, Asset::Collateral, e18(100, 0)).await;
        // Bids only: nothing trades.
        let drafts: Vec<Draft> = (1..=5)
            .map(|salt| Draft::new(alice, Side::Buy, 50, 1_000, salt))
            .collect();
        w.place(alice, drafts.iter().map(|d| d.signed_by(alice)).collect())
            .await;
        w.place(
            bob,
            vec![Draft::new(bob, Side::Buy, 50, 1_000, 1).signed_by(bob)],
        )
        .await;
        w.service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Hashes(vec![drafts[0].hash()]),
            )
            .await
            .unwrap();
        // The internal ledger settles a trade at once, so no order stays MATCHED: written as a
        // settlement still pending on chain leaves one.
        w.store
            .set_order_state(&drafts[1].hash(), OrderStatus::Matched, Size::ZERO, NOW)
            .await
            .unwrap();

        let query = |status, cursor: Option<String>, limit| OrdersQuery {
            market: Some(open_market()),
            status,
            cursor,
            limit,
        };
        let mut open = Vec::new();
        let mut cursor = None;
        loop {
            let page = w
                .service
                .list_orders(alice.wallet(), &query(StatusGroup::Open, cursor, 2))
                .await
                .unwrap();
            assert_eq!(page.has_more, page.next_cursor.is_some());
            if page.has_more {
                assert_eq!(page.data.len(), 2, "{backend}: a page with more is full");
            }
            open.extend(page.data.iter().map(|o| o.order_hash));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut expected: Vec<OrderHash> = drafts[2..].iter().map(|d| d.hash()).collect();
        expected.sort();
        expected.reverse(); // same created_at: newest-first ties are broken by hash, descending
        assert_eq!(open, expected, "{backend}");

        let filled = w
            .service
            .list_orders(alice.wallet(), &query(StatusGroup::Filled, None, 20))
            .await
            .unwrap();
        assert_eq!(filled.data.len(), 1);
        assert_eq!(filled.data[0].order_hash, drafts[1].hash());
        let cancelled = w
            .service
            .list_orders(alice.wallet(), &query(StatusGroup::Cancelled, None, 20))
            .await
            .unwrap();
        assert_eq!(cancelled.data.len(), 1);
        assert_eq!(cancelled.data[0].status, OrderStatus::Cancelled);
        let all = w
            .service
            .list_orders(alice.wallet(), &query(StatusGroup::All, None, 100))
            .await
            .unwrap();
        assert_eq!(
            (all.data.len(), all.has_more, all.next_cursor),
            (5, false, None)
        );

        let bad = w
            .service
            .list_orders(
                alice.wallet(),
                &query(StatusGroup::All, Some("garbage".into()), 20),
            )
            .await
            .unwrap_err();
        let err = RequestFailure::from(bad);
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert!(err.message.starts_with("cursor"), "{}", err.message);

        let view = w
            .service
            .order(alice.wallet(), &drafts[2].hash())
            .await
            .unwrap();
        let json = serde_json::to_value(&view).unwrap();
        // The matcher wrote the order's progress when it put it on the book: `updated_at` is that
        // commit's time, on the matcher's clock.
        let stored = w.store.order(&drafts[2].hash()).await.unwrap().unwrap();
        assert!(
            (started..=Timestamp::now()).contains(&stored.updated_at),
            "{backend}: updated at {}",
            stored.updated_at
        );
        assert_eq!(
            json,
            json!({
                "order_hash": drafts[2].hash().to_string(),
                "condition_id": open_market().condition_id.to_string(),
                "chain_id": 56,
                "side": "BUY",
                "outcome": 1,
                "order_type": "LIMIT",
                "price": "0.50",
                "size": "10.00",
                "remaining_size": "10.00",
                "status": "OPEN",
                "token_id": YES.to_string(),
                "fee_rate_bps": 0,
                "expiration": "0",
                "book_added_at": stored.book_added_at.map(|t| t.to_string()),
                "created_at": NOW.to_string(),
                "updated_at": stored.updated_at.to_string(),
            }),
            "{backend}"
        );
    })
    .await;
}
