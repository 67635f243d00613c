//! The order service's reads of what orders did: a wallet's fills a page at a time, and its
//! positions with its collateral. Fills are seeded with the store's `insert_fills`, as the
//! matcher writes them. SQLite always; PostgreSQL in the `_on_postgres` tests, which need
//! `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use alloy_primitives::{B256, U256};
use orders::FillsQuery;
use serde_json::json;
use service_common::*;
use store::balances::Asset;
use store::fills::{insert_fills, FillRecord, FillRole, FillStatus};
use store::positions::{write_positions, PositionRecord};
use store::Store;
use test_support::{on_backend, Backend};
use types::{
    ErrorCode, MarketKey, OrderHash, Outcome, Price, Side, Size, Timestamp, TokenId, Wallet, Wei,
    I256,
};

/// A fill of `wallet` on the YES token of `market`, `ms` after [`NOW`].
fn fill(wallet: Wallet, market: MarketKey, n: u32, ms: i64) -> FillRecord {
    FillRecord {
        market,
        seq: 1,
        n,
        fill_id: format!("fill-{n:03}"),
        trade_id: format!("trade-{n:03}"),
        order_hash: OrderHash(B256::repeat_byte(n as u8)),
        wallet,
        token_id: TokenId(U256::from(YES)),
        outcome: Outcome::Yes,
        side: Side::Buy,
        price: Price::new(37).expect("a price"),
        size: Size::from_hundredths(550),
        tokens: e18(5, 50),
        collateral: wei(2_035_000_000_000_000_000),
        fee: wei(u64::from(n)),
        role: FillRole::Taker,
        status: FillStatus::Confirmed,
        created_at: Timestamp(NOW.0 + ms),
    }
}

async fn store_fills(store: &Store, fills: &[FillRecord]) {
    let mut conn = store
        .write_connection()
        .await
        .expect("the write connection");
    let mut tx = conn.begin().await.expect("a transaction");
    insert_fills(&mut tx, fills)
        .await
        .expect("insert the fills");
    tx.commit().await.expect("commit the fills");
}

/// Every page of the wallet's fills, `limit` at a time: the fill ids of each page.
async fn pages(
    w: &World,
    wallet: Wallet,
    market: Option<MarketKey>,
    limit: u32,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let query = FillsQuery {
            market,
            cursor: cursor.take(),
            limit,
        };
        let page = w
            .service
            .fills(wallet, &query)
            .await
            .expect("a page of fills");
        assert_eq!(page.has_more, page.next_cursor.is_some(), "{}", w.backend);
        if page.has_more {
            assert_eq!(
                page.data.len(),
                limit as usize,
                "{}: a page with more is full",
                w.backend
            );
        }
        pages.push(page.data.iter().map(|f| f.fill_id.clone()).collect());
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn fills_are_listed_newest_first_a_page_at_a_time_and_by_market() {
    fills_are_listed_newest_first_a_page_at_a_time_and_by_market_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn fills_are_listed_newest_first_a_page_at_a_time_and_by_market_on_postgres() {
    fills_are_listed_newest_first_a_page_at_a_time_and_by_market_on(Backend::Postgres).await;
}

async fn fills_are_listed_newest_first_a_page_at_a_time_and_by_market_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let (alice, bob) = (w.alice.wallet(), w.bob.wallet());
        let mut fills: Vec<FillRecord> = (1..=5)
            .map(|n| fill(alice, open_market(), n, i64::from(n)))
            .collect();
        // Two in another market, one sharing a millisecond with an earlier fill.
        fills.push(fill(alice, paused_market(), 6, 3));
        fills.push(fill(alice, paused_market(), 7, 10));
        fills.push(fill(bob, open_market(), 8, 20));
        store_fills(&w.store, &fills).await;

        assert_eq!(
            pages(&w, alice, None, 2).await,
            [
                vec!["fill-007", "fill-005"],
                vec!["fill-004", "fill-006"],
                vec!["fill-003", "fill-002"],
                vec!["fill-001"],
            ],
            "{backend}"
        );
        // A full last page says there is no more.
        assert_eq!(
            pages(&w, alice, Some(open_market()), 5).await,
            [vec![
                "fill-005", "fill-004", "fill-003", "fill-002", "fill-001"
            ]],
            "{backend}"
        );
        assert_eq!(
            pages(&w, alice, Some(paused_market()), 20).await,
            [vec!["fill-007", "fill-006"]],
            "{backend}"
        );
        assert_eq!(
            pages(&w, bob, None, 20).await,
            [vec!["fill-008"]],
            "{backend}"
        );
        assert_eq!(
            pages(
                &w,
                w.alice.wallet(),
                Some(MarketKey {
                    chain_id: types::ChainId(97),
                    ..open_market()
                }),
                20
            )
            .await,
            [Vec::<String>::new()],
            "{backend}: another chain's market"
        );

        let first = w
            .service
            .fills(
                alice,
                &FillsQuery {
                    market: None,
                    cursor: None,
                    limit: 1,
                },
            )
            .await
            .expect("a page");
        assert_eq!(
            serde_json::to_value(&first.data).expect("JSON"),
            json!([{
                "fill_id": "fill-007",
                "order_hash": OrderHash(B256::repeat_byte(7)).to_string(),
                "condition_id": paused_market().condition_id.to_string(),
                "chain_id": 56,
                "token_id": "1001",
                "outcome": 1,
                "side": "BUY",
                "price": "0.37",
                "size": "5.50",
                "fee": "7",
                "role": "TAKER",
                "status": "CONFIRMED",
                "created_at": "2027-01-15T08:00:00.010Z",
            }]),
            "{backend}"
        );

        let refused = w
            .service
            .fills(
                alice,
                &FillsQuery {
                    market: None,
                    cursor: Some("not-a-cursor".to_owned()),
                    limit: 20,
                },
            )
            .await
            .map(|_| ())
            .map_err(RequestFailure::from)
            .expect_err("an undecodable cursor is refused");
        assert_eq!(refused.code, ErrorCode::ValidationError);
        assert_eq!(refused.message, "cursor: is not a cursor this API returned");
    })
    .await;
}

fn position(wallet: Wallet, market: MarketKey, token: u64, cost: Wei, pnl: i128) -> PositionRecord {
    PositionRecord {
        wallet,
        token_id: TokenId(U256::from(token)),
        market,
        outcome: Outcome::Yes,
        cost,
        realized_pnl: I256::try_from(pnl).expect("a signed amount"),
    }
}

#[tokio::test]
async fn positions_count_reserved_tokens_and_show_collateral_in_base_units() {
    positions_count_reserved_tokens_and_show_collateral_in_base_units_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn positions_count_reserved_tokens_and_show_collateral_in_base_units_on_postgres() {
    positions_count_reserved_tokens_and_show_collateral_in_base_units_on(Backend::Postgres).await;
}

async fn positions_count_reserved_tokens_and_show_collateral_in_base_units_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let alice = &w.alice;
        let empty = w
            .service
            .positions(alice.wallet(), None)
            .await
            .expect("positions");
        assert_eq!(
            serde_json::to_value(&empty).expect("JSON"),
            json!({"data": [], "collateral": {"available": "0", "reserved": "0"}}),
            "{backend}: an empty account"
        );

        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        w.credit(alice, yes(), e18(10, 0)).await;
        // 9.975 NO shares: more decimals than a price or an order size has.
        w.credit(
            alice,
            no(),
            Wei(U256::from(9_975u64) * U256::from(10u64).pow(U256::from(15u8))),
        )
        .await;
        // A SELL reserves 6 of the 10 YES shares, a BUY 0.50 collateral: both still held.
        let placed = w
            .place(
                alice,
                vec![
                    Draft::new(alice, Side::Sell, 60, 600, 1).signed_by(alice),
                    Draft::new(alice, Side::Buy, 10, 500, 2).signed_by(alice),
                ],
            )
            .await;
        assert_eq!(codes(&placed), [None, None], "{backend}");
        let positions = [
            position(
                alice.wallet(),
                open_market(),
                YES,
                e18(3, 70),
                -25 * 10i128.pow(16),
            ),
            position(alice.wallet(), open_market(), NO, e18(5, 0), 0),
            // Sold down to nothing in the other market: shown for what it made.
            position(
                alice.wallet(),
                paused_market(),
                2001,
                Wei::ZERO,
                3 * 10i128.pow(18) / 2,
            ),
        ];
        let mut conn = w
            .store
            .write_connection()
            .await
            .expect("the write connection");
        let mut tx = conn.begin().await.expect("a transaction");
        write_positions(&mut tx, &positions, NOW)
            .await
            .expect("write positions");
        tx.commit().await.expect("commit positions");
        drop(conn);

        let open = open_market().condition_id.to_string();
        let paused = paused_market().condition_id.to_string();
        let collateral =
            json!({"available": "99500000000000000000", "reserved": "500000000000000000"});
        let view = w
            .service
            .positions(alice.wallet(), None)
            .await
            .expect("positions");
        assert_eq!(
            serde_json::to_value(&view).expect("JSON"),
            json!({
                "data": [
                    {"condition_id": open, "chain_id": 56, "outcome": 1, "token_id": "1001",
                     "size": "10.00", "avg_price": "0.3700", "realized_pnl": "-0.25"},
                    {"condition_id": open, "chain_id": 56, "outcome": 0, "token_id": "1002",
                     "size": "9.975", "avg_price": "0.5013", "realized_pnl": "0.00"},
                    {"condition_id": paused, "chain_id": 56, "outcome": 1, "token_id": "2001",
                     "size": "0.00", "avg_price": null, "realized_pnl": "1.50"},
                ],
                "collateral": collateral,
            }),
            "{backend}"
        );
        let one = w
            .service
            .positions(alice.wallet(), Some(paused_market()))
            .await
            .expect("positions of one market");
        assert_eq!(
            serde_json::to_value(&one).expect("JSON"),
            json!({
                "data": [{"condition_id": paused, "chain_id": 56, "outcome": 1, "token_id": "2001",
                          "size": "0.00", "avg_price": null, "realized_pnl": "1.50"}],
                "collateral": collateral,
            }),
            "{backend}: one market, and the whole collateral"
        );
        let bob = w
            .service
            .positions(w.bob.wallet(), None)
            .await
            .expect("positions");
        assert_eq!(
            serde_json::to_value(&bob).expect("JSON"),
            serde_json::to_value(&empty).expect("JSON"),
            "{backend}"
        );
    })
    .await;
}
