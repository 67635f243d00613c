//! The store's behaviour on both backends: SQLite always; PostgreSQL in the `_on_postgres` tests,
//! which need `--include-ignored`.

use std::collections::BTreeMap;

use store::balances::{Asset, Balance};
use store::markets::{MarketChange, MarketRecord, TokenSpec, Translation};
use store::trades::{TradeCursor, TradePrint};
use store::{Store, StoreError, StoreOptions};
use test_support::{on_backend, Backend, PgSchema};
use types::{ChainId, MarketStatus, Price, Side, Size, Timestamp, Wallet, Wei, U256};

fn market(seed: u8) -> MarketRecord {
    MarketRecord {
        condition_id: format!("0x{}", format!("{seed:02x}").repeat(32))
            .parse()
            .unwrap(),
        chain_id: ChainId(56),
        question: format!("Question {seed}?"),
        status: MarketStatus::Open,
        yes: TokenSpec {
            token_id: U256::MAX.to_string().parse().unwrap(),
            decimals: 18,
        },
        no: TokenSpec {
            token_id: "42".parse().unwrap(),
            decimals: 18,
        },
        collateral_token: "0x55d398326f99059ff775485246999027b3197955"
            .parse()
            .unwrap(),
        ctf_exchange_address: "0x1111111111111111111111111111111111111111"
            .parse()
            .unwrap(),
        conditional_tokens_address: "0x2222222222222222222222222222222222222222"
            .parse()
            .unwrap(),
        fee_rate_bps: 25,
        min_order_size: "5".parse().unwrap(),
        end_date: Some(Timestamp(1_800_000_000_000)),
        summary: "Summary".into(),
        rules: "Rules".into(),
        translations: BTreeMap::new(),
        created_at: Timestamp(1_700_000_000_000),
        updated_at: Timestamp(1_700_000_000_000),
    }
}

#[tokio::test]
async fn a_market_reads_back_exactly_as_written_and_duplicates_conflict() {
    a_market_reads_back_exactly_as_written_and_duplicates_conflict_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_market_reads_back_exactly_as_written_and_duplicates_conflict_on_postgres() {
    a_market_reads_back_exactly_as_written_and_duplicates_conflict_on(Backend::Postgres).await;
}

async fn a_market_reads_back_exactly_as_written_and_duplicates_conflict_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let m = market(1);
        s.insert_market(&m).await.unwrap();
        assert_eq!(
            s.market(&m.condition_id, m.chain_id).await.unwrap(),
            Some(m.clone()),
            "{backend}"
        );
        assert!(
            matches!(s.insert_market(&m).await, Err(StoreError::Conflict)),
            "{backend}"
        );
        assert_eq!(
            s.market(&m.condition_id, ChainId(97)).await.unwrap(),
            None,
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn market_changes_apply_and_move_updated_at_forward() {
    market_changes_apply_and_move_updated_at_forward_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn market_changes_apply_and_move_updated_at_forward_on_postgres() {
    market_changes_apply_and_move_updated_at_forward_on(Backend::Postgres).await;
}

async fn market_changes_apply_and_move_updated_at_forward_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let m = market(2);
        s.insert_market(&m).await.unwrap();
        let mut translations = BTreeMap::new();
        translations.insert(
            "cn".to_owned(),
            Translation {
                summary: "摘要".into(),
                rules: "规则".into(),
            },
        );
        let change = MarketChange {
            status: Some(MarketStatus::Paused),
            translations: Some(translations.clone()),
        };
        // A clock that went backwards must not make the change invisible to pollers.
        let updated = s
            .update_market(&m.condition_id, m.chain_id, &change, Timestamp(0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(updated.status, MarketStatus::Paused, "{backend}");
        assert_eq!(updated.translations, translations, "{backend}");
        assert!(updated.updated_at > m.updated_at, "{backend}");
        assert_eq!(
            s.market(&m.condition_id, m.chain_id).await.unwrap(),
            Some(updated.clone())
        );

        let changed = s.markets_changed_since(updated.updated_at).await.unwrap();
        assert_eq!(changed.markets, vec![updated], "{backend}");
        assert!(changed.unreadable.is_empty(), "{backend}");
        let unknown = market(3);
        let none = s
            .update_market(
                &unknown.condition_id,
                unknown.chain_id,
                &change,
                Timestamp::now(),
            )
            .await;
        assert_eq!(none.unwrap(), None, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn credits_add_exactly_beyond_64_bits_and_never_overflow() {
    credits_add_exactly_beyond_64_bits_and_never_overflow_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn credits_add_exactly_beyond_64_bits_and_never_overflow_on_postgres() {
    credits_add_exactly_beyond_64_bits_and_never_overflow_on(Backend::Postgres).await;
}

async fn credits_add_exactly_beyond_64_bits_and_never_overflow_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let w: Wallet = "0x00000000000000000000000000000000000000aa"
            .parse()
            .unwrap();
        let big: Wei = "123456789012345678901234567890".parse().unwrap();
        assert_eq!(
            s.balance(w, Asset::Collateral).await.unwrap(),
            Balance::default()
        );
        s.credit_balance(w, Asset::Collateral, big, Timestamp::now())
            .await
            .unwrap();
        let after = s
            .credit_balance(w, Asset::Collateral, big, Timestamp::now())
            .await
            .unwrap();
        assert_eq!(
            after.available.to_string(),
            "246913578024691357802469135780",
            "{backend}"
        );
        assert_eq!(s.balance(w, Asset::Collateral).await.unwrap(), after);

        let overflow = s
            .credit_balance(w, Asset::Collateral, Wei(U256::MAX), Timestamp::now())
            .await;
        assert!(
            matches!(overflow, Err(StoreError::BalanceOutOfRange)),
            "{backend}"
        );
        assert_eq!(
            s.balance(w, Asset::Collateral).await.unwrap(),
            after,
            "{backend}: unchanged"
        );

        let token = Asset::Token("7".parse().unwrap());
        assert_eq!(
            s.balance(w, token).await.unwrap(),
            Balance::default(),
            "{backend}: assets are separate"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_credits_are_all_counted() {
    concurrent_credits_are_all_counted_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn concurrent_credits_are_all_counted_on_postgres() {
    concurrent_credits_are_all_counted_on(Backend::Postgres).await;
}

async fn concurrent_credits_are_all_counted_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let w: Wallet = "0x00000000000000000000000000000000000000bb"
            .parse()
            .unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.credit_balance(w, Asset::Collateral, Wei(U256::from(5u8)), Timestamp::now())
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let b = s.balance(w, Asset::Collateral).await.unwrap();
        assert_eq!(b.available, Wei(U256::from(100u8)), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn trade_pages_are_newest_first_and_resume_after_the_cursor() {
    trade_pages_are_newest_first_and_resume_after_the_cursor_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn trade_pages_are_newest_first_and_resume_after_the_cursor_on_postgres() {
    trade_pages_are_newest_first_and_resume_after_the_cursor_on(Backend::Postgres).await;
}

async fn trade_pages_are_newest_first_and_resume_after_the_cursor_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let m = market(4);
        for i in 0..5u8 {
            s.insert_trade(&TradePrint {
                trade_id: format!("t{i}"),
                condition_id: m.condition_id,
                chain_id: m.chain_id,
                price: Price::new(10 + i).unwrap(),
                size: Size::from_hundredths(100),
                taker_side: Side::Buy,
                // Two prints share a millisecond: the id breaks the tie.
                created_at: Timestamp(1000 + i64::from(i.min(3))),
            })
            .await
            .unwrap();
        }
        let first = s
            .trades_page(&m.condition_id, m.chain_id, None, 3)
            .await
            .unwrap();
        let ids: Vec<_> = first.iter().map(|t| t.trade_id.as_str()).collect();
        assert_eq!(ids, ["t4", "t3", "t2"], "{backend}");
        let last = first.last().unwrap();
        let cursor = TradeCursor {
            created_at: last.created_at,
            trade_id: last.trade_id.clone(),
        };
        let second = s
            .trades_page(&m.condition_id, m.chain_id, Some(&cursor), 3)
            .await
            .unwrap();
        let ids: Vec<_> = second.iter().map(|t| t.trade_id.as_str()).collect();
        assert_eq!(ids, ["t1", "t0"], "{backend}");
        assert_eq!(second[0].price, Price::new(11).unwrap());
    })
    .await;
}

#[tokio::test]
async fn reconnecting_to_a_migrated_database_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gw.db", dir.path().display());
    let s = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    s.insert_market(&market(5)).await.unwrap();
    s.close().await;
    let again = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(
        again
            .markets_changed_since(Timestamp(0))
            .await
            .unwrap()
            .markets
            .len(),
        1
    );
    again.ping().await.unwrap();
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_missing_postgres_database_is_created() {
    let schema = PgSchema::create().await;
    let base = test_support::postgres_base_url();
    let name = format!("fs_gw_{}", schema.name);
    let (server, _) = base.rsplit_once('/').expect("a database URL has a path");
    let url = format!("{server}/{name}");
    let s = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    s.insert_market(&market(6)).await.unwrap();
    s.ping().await.unwrap();
    s.close().await;
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
        .await
        .unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// `Store::close` leaves no PostgreSQL session behind, including one whose connection was still
/// on its way back to the pool when `close` began (sqlx 0.8's own `close` can return with it
/// open). Ten rounds, because that timing is a race: the old close left a session in about one
/// round in three.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn closing_a_postgres_store_ends_every_session() {
    let schema = PgSchema::create().await;
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&test_support::postgres_base_url())
            .await
            .unwrap();
    for round in 0..10u8 {
        let app = format!("close_{}_{round}", schema.name);
        let url = format!("{}&application_name={app}", schema.url);
        let s = Store::connect(&url, &StoreOptions::default())
            .await
            .unwrap();
        s.insert_market(&market(round)).await.unwrap();
        s.ping().await.unwrap();
        s.close().await;
        // The server ends a session shortly after its client says goodbye; a connection the
        // client left open keeps its session for as long as `s` lives.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            let open: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind(&app)
            .fetch_one(&mut admin)
            .await
            .unwrap();
            if open == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: {open} session(s) still open after Store::close"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(s);
    }
}

/// The embedded store keeps its order-hash index in the process that opened the file, so a
/// second store on the same file (another gateway process) is refused until the first closes.
#[tokio::test]
async fn a_sqlite_file_serves_one_store_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gw.db", dir.path().display());
    let first = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    let err = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InUse(_)), "{err}");
    assert!(err.to_string().contains("gw.db"), "{err}");
    first.close().await;
    let second = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    second.ping().await.unwrap();
    second.close().await;
}

/// The embedded store's connections must share one database: an in-memory one would give each
/// its own, so it is refused with a reason instead of losing every write.
#[tokio::test]
async fn an_in_memory_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let in_memory = [
        "sqlite::memory:".to_owned(),
        format!("sqlite://{}/gw.db?mode=memory", dir.path().display()),
    ];
    for url in in_memory {
        let err = Store::connect(&url, &StoreOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UnsupportedUrl(_)), "{url}: {err}");
        assert!(err.to_string().contains("in-memory"), "{url}: {err}");
    }
}

#[tokio::test]
async fn a_market_row_that_does_not_read_back_is_set_aside_with_its_key() {
    a_market_row_that_does_not_read_back_is_set_aside_with_its_key_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_market_row_that_does_not_read_back_is_set_aside_with_its_key_on_postgres() {
    a_market_row_that_does_not_read_back_is_set_aside_with_its_key_on(Backend::Postgres).await;
}

async fn a_market_row_that_does_not_read_back_is_set_aside_with_its_key_on(backend: Backend) {
    on_backend(backend, |s, url, backend| async move {
        use sqlx::Connection;
        let (good, bad) = (market(7), market(8));
        let mut bad = bad;
        bad.yes.token_id = "7".parse().unwrap();
        bad.no.token_id = "8".parse().unwrap();
        s.insert_market(&good).await.unwrap();
        s.insert_market(&bad).await.unwrap();
        // What a chain_id of 2^63 became before chain ids were range-checked at the edge.
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE markets SET chain_id = $1 WHERE condition_id = $2")
            .bind(i64::MIN)
            .bind(bad.condition_id.to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let changed = s.markets_changed_since(Timestamp(0)).await.unwrap();
        assert_eq!(changed.markets, vec![good], "{backend}");
        assert_eq!(changed.unreadable.len(), 1, "{backend}");
        let row = &changed.unreadable[0];
        assert_eq!(row.table, "markets");
        assert_eq!(
            row.key,
            format!(
                "condition_id=\"{}\" chain_id=-9223372036854775808",
                bad.condition_id
            ),
            "{backend}"
        );
        assert_eq!(row.reason, "chain_id = -9223372036854775808", "{backend}");
    })
    .await;
}
