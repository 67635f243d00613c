//! Orders on both backends: SQLite always; PostgreSQL in the `_on_postgres` tests, which need
//! `--include-ignored`.

use store::orders::{OrderCursor, OrderFilter, OrderRecord};
use test_support::{on_backend, Backend};
use types::{
    ChainId, ConditionId, MarketKey, OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Ticks,
    Timestamp, TokenId, Wallet, Wei, B256, U256,
};

fn wallet(byte: u8) -> Wallet {
    Wallet(types::Address::repeat_byte(byte))
}

fn market(byte: u8) -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(byte)),
        chain_id: ChainId(56),
    }
}

fn order(seed: u8, owner: Wallet, m: MarketKey, created_at: i64) -> OrderRecord {
    OrderRecord {
        order_hash: OrderHash(B256::repeat_byte(seed)),
        wallet: owner,
        condition_id: m.condition_id,
        chain_id: m.chain_id,
        token_id: TokenId(U256::MAX),
        outcome: Outcome::Yes,
        side: Side::Buy,
        order_type: OrderType::Gtd,
        price: Ticks::new(55).unwrap(),
        size: Size::from_hundredths(1_000),
        remaining: Size::from_hundredths(1_000),
        status: OrderStatus::Open,
        salt: U256::MAX - U256::from(seed),
        maker: owner,
        signer: owner,
        taker: Wallet::ZERO,
        maker_amount: Wei(U256::from(5_500_000_000_000_000_000u64)),
        taker_amount: Wei(U256::MAX),
        expiration: U256::from(1_900_000_000u64),
        nonce: U256::from(seed),
        fee_rate_bps: 25,
        signature_type: 0,
        signature: (0..65).map(|i| i as u8 ^ seed).collect(),
        book_added_at: Some(Timestamp(created_at + 1)),
        created_at: Timestamp(created_at),
        updated_at: Timestamp(created_at),
        reserved: Wei(U256::from(5_500_000_000_000_000_000u64)),
    }
}

#[tokio::test]
async fn an_order_reads_back_exactly_as_written() {
    an_order_reads_back_exactly_as_written_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn an_order_reads_back_exactly_as_written_on_postgres() {
    an_order_reads_back_exactly_as_written_on(Backend::Postgres).await;
}

async fn an_order_reads_back_exactly_as_written_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let mut a = order(1, wallet(0xaa), market(1), 1_000);
        a.expiration = U256::MAX;
        a.book_added_at = None;
        a.order_type = OrderType::Limit;
        let b = order(2, wallet(0xaa), market(1), 1_000);
        assert_eq!(
            s.insert_orders(&[a.clone(), b.clone()], None)
                .await
                .unwrap(),
            vec![true, true],
            "{backend}"
        );
        assert_eq!(s.order(&a.order_hash).await.unwrap(), Some(a), "{backend}");
        assert_eq!(s.order(&b.order_hash).await.unwrap(), Some(b), "{backend}");
        assert_eq!(
            s.order(&OrderHash(B256::repeat_byte(9))).await.unwrap(),
            None,
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_stored_hash_is_never_stored_twice_and_the_rest_of_the_batch_commits() {
    a_stored_hash_is_never_stored_twice_and_the_rest_of_the_batch_commits_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_stored_hash_is_never_stored_twice_and_the_rest_of_the_batch_commits_on_postgres() {
    a_stored_hash_is_never_stored_twice_and_the_rest_of_the_batch_commits_on(Backend::Postgres)
        .await;
}

async fn a_stored_hash_is_never_stored_twice_and_the_rest_of_the_batch_commits_on(
    backend: Backend,
) {
    on_backend(backend, |s, _, backend| async move {
        let a = order(1, wallet(0xaa), market(1), 1_000);
        s.insert_orders(std::slice::from_ref(&a), None)
            .await
            .unwrap();
        let mut again = a.clone();
        again.status = OrderStatus::Cancelled;
        let c = order(3, wallet(0xaa), market(1), 2_000);
        assert_eq!(
            s.insert_orders(&[again, c.clone()], None).await.unwrap(),
            vec![false, true],
            "{backend}"
        );
        assert_eq!(s.order(&a.order_hash).await.unwrap(), Some(a.clone()));
        assert_eq!(s.order(&c.order_hash).await.unwrap(), Some(c.clone()));
        let unknown = OrderHash(B256::repeat_byte(0x77));
        let found = s
            .existing_order_hashes(&[a.order_hash, unknown, c.order_hash])
            .await
            .unwrap();
        assert_eq!(found.len(), 2, "{backend}");
        assert!(found.contains(&a.order_hash) && found.contains(&c.order_hash));
        assert!(s.existing_order_hashes(&[]).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_wallets_orders_list_newest_first_filtered_and_paged() {
    a_wallets_orders_list_newest_first_filtered_and_paged_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_wallets_orders_list_newest_first_filtered_and_paged_on_postgres() {
    a_wallets_orders_list_newest_first_filtered_and_paged_on(Backend::Postgres).await;
}

async fn a_wallets_orders_list_newest_first_filtered_and_paged_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let me = wallet(0xaa);
        // Six orders of mine, two sharing a timestamp; one of someone else.
        let mut mine = vec![
            order(1, me, market(1), 1_000),
            order(2, me, market(2), 2_000),
            order(3, me, market(1), 3_000),
            order(4, me, market(1), 3_000),
            order(5, me, market(2), 4_000),
            order(6, me, market(1), 5_000),
        ];
        mine[4].status = OrderStatus::Filled;
        mine[5].status = OrderStatus::PartiallyFilled;
        let theirs = order(7, wallet(0xbb), market(1), 6_000);
        let mut all = mine.clone();
        all.push(theirs);
        s.insert_orders(&all, None).await.unwrap();

        let hashes = |v: &[OrderRecord]| v.iter().map(|o| o.order_hash.0[0]).collect::<Vec<_>>();
        let everything = OrderFilter::default();
        let page = s.orders_page(me, &everything, None, 100).await.unwrap();
        assert_eq!(hashes(&page), vec![6, 5, 4, 3, 2, 1], "{backend}");

        // Pages of two, ties on created_at broken by hash, nothing skipped or repeated.
        let mut seen = Vec::new();
        let mut after: Option<OrderCursor> = None;
        loop {
            let page = s
                .orders_page(me, &everything, after.as_ref(), 2)
                .await
                .unwrap();
            seen.extend(hashes(&page));
            match page.last() {
                Some(last) if page.len() == 2 => {
                    after = Some(OrderCursor {
                        created_at: last.created_at,
                        order_hash: last.order_hash,
                    })
                }
                _ => break,
            }
        }
        assert_eq!(seen, vec![6, 5, 4, 3, 2, 1], "{backend}");

        let live = OrderFilter {
            market: Some(market(1)),
            statuses: vec![OrderStatus::Open, OrderStatus::PartiallyFilled],
        };
        let page = s.orders_page(me, &live, None, 100).await.unwrap();
        assert_eq!(hashes(&page), vec![6, 4, 3, 1], "{backend}");
        let filled = OrderFilter {
            market: None,
            statuses: vec![OrderStatus::Matched, OrderStatus::Filled],
        };
        let page = s.orders_page(me, &filled, None, 100).await.unwrap();
        assert_eq!(hashes(&page), vec![5], "{backend}");
        let page = s
            .orders_page(wallet(0xcc), &everything, None, 100)
            .await
            .unwrap();
        assert!(page.is_empty(), "{backend}");

        // An order leaving the book moves from the live listings to the closed ones, and a
        // selection of statuses from both parts lists both, still newest first and paged.
        let cancelled = mine[2].order_hash;
        let size = mine[2].size;
        assert!(s
            .set_order_state(&cancelled, OrderStatus::Cancelled, size, Timestamp(7_000))
            .await
            .unwrap());
        let open = OrderFilter {
            market: None,
            statuses: vec![OrderStatus::Open, OrderStatus::PartiallyFilled],
        };
        let page = s.orders_page(me, &open, None, 100).await.unwrap();
        assert_eq!(hashes(&page), vec![6, 4, 2, 1], "{backend}");
        let page = s.orders_page(me, &everything, None, 100).await.unwrap();
        assert_eq!(hashes(&page), vec![6, 5, 4, 3, 2, 1], "{backend}");
        let open_or_cancelled = OrderFilter {
            market: Some(market(1)),
            statuses: vec![OrderStatus::Open, OrderStatus::Cancelled],
        };
        let first = s
            .orders_page(me, &open_or_cancelled, None, 2)
            .await
            .unwrap();
        assert_eq!(hashes(&first), vec![4, 3], "{backend}");
        let last = first.last().unwrap();
        let after = OrderCursor {
            created_at: last.created_at,
            order_hash: last.order_hash,
        };
        let rest = s
            .orders_page(me, &open_or_cancelled, Some(&after), 2)
            .await
            .unwrap();
        assert_eq!(hashes(&rest), vec![1], "{backend}");
    })
    .await;
}

#[tokio::test]
async fn order_state_changes_are_stored() {
    order_state_changes_are_stored_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn order_state_changes_are_stored_on_postgres() {
    order_state_changes_are_stored_on(Backend::Postgres).await;
}

async fn order_state_changes_are_stored_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let a = order(1, wallet(0xaa), market(1), 1_000);
        s.insert_orders(std::slice::from_ref(&a), None)
            .await
            .unwrap();
        let changed = s
            .set_order_state(
                &a.order_hash,
                OrderStatus::PartiallyFilled,
                Size::from_hundredths(400),
                Timestamp(9_000),
            )
            .await
            .unwrap();
        assert!(changed, "{backend}");
        let stored = s.order(&a.order_hash).await.unwrap().unwrap();
        assert_eq!(stored.status, OrderStatus::PartiallyFilled);
        assert_eq!(stored.remaining, Size::from_hundredths(400));
        assert_eq!(stored.updated_at, Timestamp(9_000));
        assert_eq!(stored.created_at, a.created_at);
        let unknown = OrderHash(B256::repeat_byte(0x42));
        assert!(!s
            .set_order_state(&unknown, OrderStatus::Cancelled, Size::ZERO, Timestamp(1))
            .await
            .unwrap());
    })
    .await;
}

#[tokio::test]
async fn an_order_is_read_by_its_owner_only_and_unknown_and_foreign_hashes_both_miss() {
    an_order_is_read_by_its_owner_only_and_unknown_and_foreign_hashes_both_miss_on(Backend::Sqlite)
        .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn an_order_is_read_by_its_owner_only_and_unknown_and_foreign_hashes_both_miss_on_postgres() {
    an_order_is_read_by_its_owner_only_and_unknown_and_foreign_hashes_both_miss_on(
        Backend::Postgres,
    )
    .await;
}

async fn an_order_is_read_by_its_owner_only_and_unknown_and_foreign_hashes_both_miss_on(
    backend: Backend,
) {
    on_backend(backend, |s, _, backend| async move {
        let mine = order(3, wallet(0xaa), market(1), 1_000);
        s.insert_orders(std::slice::from_ref(&mine), None)
            .await
            .unwrap();
        assert_eq!(
            s.order_of(wallet(0xaa), &mine.order_hash).await.unwrap(),
            Some(mine.clone()),
            "{backend}"
        );
        assert_eq!(
            s.order_of(wallet(0xbb), &mine.order_hash).await.unwrap(),
            None,
            "{backend}"
        );
        let unknown = OrderHash(B256::repeat_byte(0x77));
        assert_eq!(s.order_of(wallet(0xaa), &unknown).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn the_embedded_hash_index_skips_order_rows_it_cannot_read_and_says_which() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gw.db", dir.path().display());
    let s = store::Store::connect(&url, &store::StoreOptions::default())
        .await
        .unwrap();
    let owner = wallet(0xaa);
    let orders: Vec<OrderRecord> = (1..=3).map(|n| order(n, owner, market(1), 1_000)).collect();
    s.insert_orders(&orders, None).await.unwrap();
    assert!(s.unreadable_rows().is_empty());
    s.close().await;
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    for (hash, seed) in [
        ("0xnot-a-hash".to_owned(), 1u8),
        (orders[1].order_hash.to_string(), 3),
    ] {
        sqlx::query("UPDATE orders SET order_hash = $1 WHERE order_hash = $2")
            .bind(hash)
            .bind(OrderHash(B256::repeat_byte(seed)).to_string())
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
    let again = store::Store::connect(&url, &store::StoreOptions::default())
        .await
        .expect("an unreadable order row does not stop the store from opening");
    let skipped: Vec<(&str, &str, &str)> = again
        .unreadable_rows()
        .iter()
        .map(|r| (r.table, r.key.as_str(), r.reason.as_str()))
        .collect();
    let twice = format!("order {} is stored twice", orders[1].order_hash);
    assert_eq!(
        skipped,
        [
            ("orders", "rowid=1", "order_hash = \"0xnot-a-hash\""),
            ("orders", "rowid=3", twice.as_str()),
        ]
    );
    // The readable order is served, and a new order gets a rowid of its own.
    assert_eq!(
        again.order_of(owner, &orders[1].order_hash).await.unwrap(),
        Some(orders[1].clone())
    );
    let fresh = order(4, owner, market(1), 2_000);
    assert_eq!(
        again
            .insert_orders(std::slice::from_ref(&fresh), None)
            .await
            .unwrap(),
        vec![true]
    );
    assert_eq!(again.order(&fresh.order_hash).await.unwrap(), Some(fresh));
}
