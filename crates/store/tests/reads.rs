//! What the fills and positions routes read: a wallet's fills a page at a time, and its balances
//! with its positions rows. SQLite always; PostgreSQL in the `_on_postgres` tests, which need
//! `--include-ignored`.

use store::balances::{Asset, Balance};
use store::fills::{insert_fills, FillCursor, FillRecord, FillRole, FillStatus};
use store::positions::{write_positions, Holdings, PositionRecord};
use store::Store;
use test_support::{on_backend, Backend};
use types::{
    ChainId, ConditionId, MarketKey, OrderHash, Outcome, Price, Side, Size, Timestamp, TokenId,
    Wallet, Wei, B256, I256, U256,
};

fn market(seed: u8) -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(seed)),
        chain_id: ChainId(56),
    }
}

fn wallet(seed: u8) -> Wallet {
    format!("0x{}", format!("{seed:02x}").repeat(20))
        .parse()
        .expect("a wallet")
}

fn token(n: u64) -> TokenId {
    TokenId(U256::from(n))
}

fn wei(n: u64) -> Wei {
    Wei(U256::from(n))
}

/// A fill of `owner` in `market` made at `created_at`, its id `fill_id`, its fields all
/// distinct from one fill to the next so that a mixed-up column shows.
fn fill(owner: Wallet, market: MarketKey, n: u32, fill_id: &str, created_at: i64) -> FillRecord {
    FillRecord {
        market,
        seq: 7 + u64::from(n),
        n,
        fill_id: fill_id.to_owned(),
        trade_id: format!("trade-{fill_id}"),
        order_hash: OrderHash(B256::repeat_byte(0xa0 + n as u8)),
        wallet: owner,
        token_id: token(1000 + u64::from(n % 2)),
        outcome: if n.is_multiple_of(2) {
            Outcome::No
        } else {
            Outcome::Yes
        },
        side: if n.is_multiple_of(3) {
            Side::Sell
        } else {
            Side::Buy
        },
        price: Price::new(n as u8 % 101).expect("a price"),
        size: Size::from_hundredths(1_000 + u64::from(n)),
        tokens: Wei(U256::MAX - U256::from(n)),
        collateral: wei(5_000_000_000_000_000_000 + u64::from(n)),
        fee: wei(u64::from(n) * 3),
        role: if n.is_multiple_of(2) {
            FillRole::Maker
        } else {
            FillRole::Taker
        },
        status: [
            FillStatus::Matched,
            FillStatus::Confirmed,
            FillStatus::Failed,
        ][n as usize % 3],
        created_at: Timestamp(created_at),
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

async fn store_positions(store: &Store, positions: &[PositionRecord]) {
    let mut conn = store
        .write_connection()
        .await
        .expect("the write connection");
    let mut tx = conn.begin().await.expect("a transaction");
    write_positions(&mut tx, positions, Timestamp(1_000))
        .await
        .expect("write the positions");
    tx.commit().await.expect("commit the positions");
}

/// Every page of the wallet's fills, `limit` at a time, as the ids of each page.
async fn pages(
    store: &Store,
    owner: Wallet,
    market: Option<&MarketKey>,
    limit: u32,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut after: Option<FillCursor> = None;
    loop {
        let page = store
            .fills_page(owner, market, after.as_ref(), limit)
            .await
            .expect("a page of fills");
        if page.is_empty() {
            return pages;
        }
        pages.push(page.iter().map(|f| f.fill_id.clone()).collect());
        let last = page.last().expect("a non-empty page");
        after = Some(FillCursor {
            created_at: last.created_at,
            fill_id: last.fill_id.clone(),
        });
    }
}

#[tokio::test]
async fn fill_pages_are_the_wallets_newest_first_of_one_market_when_asked() {
    fill_pages_are_the_wallets_newest_first_of_one_market_when_asked_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn fill_pages_are_the_wallets_newest_first_of_one_market_when_asked_on_postgres() {
    fill_pages_are_the_wallets_newest_first_of_one_market_when_asked_on(Backend::Postgres).await;
}

async fn fill_pages_are_the_wallets_newest_first_of_one_market_when_asked_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let (alice, bob) = (wallet(0xa1), wallet(0xb2));
        let (m1, m2) = (market(0x11), market(0x22));
        let fills = vec![
            fill(alice, m1, 0, "f-a", 1_000),
            // Three fills share a millisecond: the id breaks the tie, highest first.
            fill(alice, m2, 1, "f-b", 2_000),
            fill(alice, m1, 2, "f-d", 2_000),
            fill(alice, m1, 3, "f-c", 2_000),
            fill(alice, m2, 4, "f-e", 3_000),
            // Bob's fills, some in the same trades, are never Alice's.
            fill(bob, m1, 5, "f-z", 4_000),
            fill(bob, m1, 6, "f-y", 2_000),
        ];
        store_fills(&s, &fills).await;

        let first = s.fills_page(alice, None, None, 10).await.unwrap();
        let expected = [&fills[4], &fills[2], &fills[3], &fills[1], &fills[0]];
        assert_eq!(first.len(), expected.len(), "{backend}");
        for (read, written) in first.iter().zip(expected) {
            assert_eq!(
                read, written,
                "{backend}: a fill reads back exactly as written"
            );
        }
        assert_eq!(
            pages(&s, alice, None, 2).await,
            [vec!["f-e", "f-d"], vec!["f-c", "f-b"], vec!["f-a"]],
            "{backend}"
        );
        assert_eq!(
            pages(&s, alice, Some(&m1), 2).await,
            [vec!["f-d", "f-c"], vec!["f-a"]],
            "{backend}: one market"
        );
        assert_eq!(
            pages(&s, alice, Some(&market(0x33)), 2).await,
            Vec::<Vec<String>>::new(),
            "{backend}: a market without fills"
        );
        assert_eq!(
            pages(&s, bob, None, 5).await,
            [vec!["f-z", "f-y"]],
            "{backend}"
        );
        assert!(s
            .fills_page(wallet(0xc3), None, None, 5)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

fn position(
    owner: Wallet,
    token_id: u64,
    market: MarketKey,
    cost: u64,
    pnl: i64,
) -> PositionRecord {
    PositionRecord {
        wallet: owner,
        token_id: token(token_id),
        market,
        outcome: if token_id % 2 == 1 {
            Outcome::Yes
        } else {
            Outcome::No
        },
        cost: wei(cost),
        realized_pnl: I256::try_from(pnl).expect("a signed amount"),
    }
}

#[tokio::test]
async fn holdings_are_every_balance_and_the_positions_of_one_market_when_asked() {
    holdings_are_every_balance_and_the_positions_of_one_market_when_asked_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn holdings_are_every_balance_and_the_positions_of_one_market_when_asked_on_postgres() {
    holdings_are_every_balance_and_the_positions_of_one_market_when_asked_on(Backend::Postgres)
        .await;
}

async fn holdings_are_every_balance_and_the_positions_of_one_market_when_asked_on(
    backend: Backend,
) {
    on_backend(backend, |s, _, backend| async move {
        let (alice, bob) = (wallet(0xa1), wallet(0xb2));
        let (m1, m2) = (market(0x11), market(0x22));
        assert_eq!(
            s.holdings(alice, None).await.unwrap(),
            Holdings::default(),
            "{backend}: a wallet that never held anything"
        );
        let now = Timestamp(1_000);
        let big = Wei(U256::MAX);
        s.credit_balance(alice, Asset::Collateral, wei(5), now)
            .await
            .unwrap();
        s.credit_balance(alice, Asset::Token(token(1001)), big, now)
            .await
            .unwrap();
        s.credit_balance(alice, Asset::Token(token(2000)), wei(7), now)
            .await
            .unwrap();
        s.credit_balance(bob, Asset::Token(token(1001)), wei(9), now)
            .await
            .unwrap();
        let alice_positions = vec![
            position(alice, 1001, m1, 40, -25),
            position(alice, 1000, m1, 0, 12),
            position(alice, 2001, m2, 3, i64::MIN),
        ];
        store_positions(&s, &alice_positions).await;
        store_positions(&s, &[position(bob, 1001, m1, 1, 1)]).await;

        let all = s.holdings(alice, None).await.unwrap();
        assert_eq!(
            all.balances,
            [
                (
                    Asset::Token(token(1001)),
                    Balance {
                        available: big,
                        reserved: Wei::ZERO
                    }
                ),
                (
                    Asset::Token(token(2000)),
                    Balance {
                        available: wei(7),
                        reserved: Wei::ZERO
                    }
                ),
                (
                    Asset::Collateral,
                    Balance {
                        available: wei(5),
                        reserved: Wei::ZERO
                    }
                ),
            ],
            "{backend}: every asset, in the order of its text"
        );
        // By market, then token id as text.
        assert_eq!(
            all.positions,
            [
                alice_positions[1].clone(),
                alice_positions[0].clone(),
                alice_positions[2].clone()
            ],
            "{backend}"
        );
        let one = s.holdings(alice, Some(&m2)).await.unwrap();
        assert_eq!(
            one.balances, all.balances,
            "{backend}: balances are never filtered"
        );
        assert_eq!(one.positions, [alice_positions[2].clone()], "{backend}");
        let other_chain = MarketKey {
            chain_id: ChainId(97),
            ..m1
        };
        assert!(s
            .holdings(alice, Some(&other_chain))
            .await
            .unwrap()
            .positions
            .is_empty());
    })
    .await;
}
