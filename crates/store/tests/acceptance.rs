//! Acceptance (duplicates, reservations, orders and idempotent responses in one transaction)
//! and cancels with their releases, on both backends: SQLite always, PostgreSQL when reachable.

mod common;
use common::on_each_backend;

use std::collections::HashMap;

use sqlx::Connection;
use store::acceptance::{Holdings, IdempotencyTarget, Refusal, Submission};
use store::balances::{Asset, Balance};
use store::cancels::CancelSelection;
use store::idempotency::IdempotencyClaim;
use store::orders::OrderRecord;
use store::{Backend, Store, StoreError};
use types::{
    ChainId, ConditionId, MarketKey, OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Ticks,
    Timestamp, TokenId, Wallet, Wei, B256, U256,
};

const T0: Timestamp = Timestamp(1_800_000_000_000);
const TOKEN: u64 = 777;

fn wallet(byte: u8) -> Wallet {
    Wallet(types::Address::repeat_byte(byte))
}

fn market(byte: u8) -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(byte)),
        chain_id: ChainId(56),
    }
}

fn wei(n: u64) -> Wei {
    Wei(U256::from(n))
}

/// An order of `owner` reserving `amount` (collateral for BUY, TOKEN for SELL).
fn order(seed: u8, owner: Wallet, side: Side, amount: u64) -> OrderRecord {
    OrderRecord {
        order_hash: OrderHash(B256::repeat_byte(seed)),
        wallet: owner,
        condition_id: market(1).condition_id,
        chain_id: market(1).chain_id,
        token_id: TokenId(U256::from(TOKEN)),
        outcome: Outcome::Yes,
        side,
        order_type: OrderType::Limit,
        price: Ticks::new(50).unwrap(),
        size: Size::from_hundredths(1_000),
        remaining: Size::from_hundredths(1_000),
        status: OrderStatus::Open,
        salt: U256::from(seed),
        maker: owner,
        signer: owner,
        taker: Wallet::ZERO,
        maker_amount: wei(amount),
        taker_amount: wei(amount * 2),
        expiration: U256::ZERO,
        nonce: U256::ZERO,
        fee_rate_bps: 0,
        signature_type: 0,
        signature: vec![seed; 65],
        book_added_at: None,
        created_at: T0,
        updated_at: T0,
        reserved: wei(amount),
    }
}

fn token() -> Asset {
    Asset::Token(TokenId(U256::from(TOKEN)))
}

fn balance(available: u64, reserved: u64) -> Balance {
    Balance {
        available: wei(available),
        reserved: wei(reserved),
    }
}

fn submission(orders: Vec<OrderRecord>) -> Submission {
    Submission::new(orders, None)
}

/// Renders outcomes as a compact string, so a stored response can be compared.
fn render(i: usize, outcomes: &[Result<(), Refusal>]) -> Result<String, String> {
    Ok(format!("{i}:{outcomes:?}"))
}

#[tokio::test]
async fn each_reservation_sees_what_earlier_orders_of_the_group_left() {
    on_each_backend(|s, _, backend| async move {
        let (me, other) = (wallet(0xaa), wallet(0xbb));
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(30), T0).await.unwrap();
        s.credit_balance(other, Asset::Collateral, wei(1_000), T0)
            .await
            .unwrap();
        // Stored before: its hash is a duplicate whoever sends it again.
        let earlier = order(9, me, Side::Buy, 1);
        s.insert_orders(std::slice::from_ref(&earlier), None)
            .await
            .unwrap();

        let group = vec![
            submission(vec![
                order(1, me, Side::Buy, 60),
                order(2, me, Side::Buy, 50), // 40 left: refused
                order(3, me, Side::Buy, 40), // exactly what is left
                order(4, me, Side::Sell, 30),
                order(9, me, Side::Buy, 1),
            ]),
            // Another request in the same commit, re-sending order 1 and one of its own.
            submission(vec![
                order(1, me, Side::Buy, 60),
                order(5, other, Side::Buy, 999),
            ]),
        ];
        let outcomes = s
            .accept_orders(&group, &Holdings::new(), T0, render)
            .await
            .unwrap();
        assert_eq!(
            outcomes,
            vec![
                vec![
                    Ok(()),
                    Err(Refusal::InsufficientBalance),
                    Ok(()),
                    Ok(()),
                    Err(Refusal::Duplicate)
                ],
                vec![Err(Refusal::Duplicate), Ok(())],
            ],
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 100),
            "{backend}"
        );
        assert_eq!(s.balance(me, token()).await.unwrap(), balance(0, 30));
        assert_eq!(
            s.balance(other, Asset::Collateral).await.unwrap(),
            balance(1, 999)
        );
        let stored = s.order(&order(1, me, Side::Buy, 60).order_hash).await;
        assert_eq!(stored.unwrap(), Some(order(1, me, Side::Buy, 60)));
        assert_eq!(
            s.order(&order(2, me, Side::Buy, 50).order_hash)
                .await
                .unwrap(),
            None,
            "{backend}: a refused order is not stored"
        );
        assert_eq!(
            s.order(&earlier.order_hash).await.unwrap(),
            Some(earlier),
            "{backend}: the stored duplicate is left as it was"
        );
    })
    .await;
}

#[tokio::test]
async fn a_wallet_without_any_balance_is_refused() {
    on_each_backend(|s, _, backend| async move {
        let out = s
            .accept_orders(
                &[submission(vec![order(1, wallet(0xaa), Side::Sell, 1)])],
                &Holdings::new(),
                T0,
                render,
            )
            .await
            .unwrap();
        assert_eq!(
            out,
            vec![vec![Err(Refusal::InsufficientBalance)]],
            "{backend}"
        );
        assert_eq!(
            s.balance(wallet(0xaa), token()).await.unwrap(),
            balance(0, 0)
        );
    })
    .await;
}

#[tokio::test]
async fn external_holdings_cap_what_open_orders_may_reserve() {
    on_each_backend(|s, _, backend| async move {
        let me = wallet(0xaa);
        // The ledger knows nothing of this wallet; the external source says it holds 100.
        let mut holdings: Holdings = HashMap::new();
        holdings.insert((me, Asset::Collateral), wei(100));
        let out = s
            .accept_orders(
                &[submission(vec![
                    order(1, me, Side::Buy, 70),
                    order(2, me, Side::Buy, 31),
                    order(3, me, Side::Buy, 30),
                ])],
                &holdings,
                T0,
                render,
            )
            .await
            .unwrap();
        assert_eq!(
            out,
            vec![vec![Ok(()), Err(Refusal::InsufficientBalance), Ok(())]],
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 100)
        );
    })
    .await;
}

#[tokio::test]
async fn the_idempotent_response_commits_with_the_orders() {
    on_each_backend(|s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(10), T0)
            .await
            .unwrap();
        for key in ["k1", "k2"] {
            assert_eq!(
                s.claim_idempotency_key(me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Claimed
            );
        }
        let target = |key: &str| {
            Some(IdempotencyTarget {
                wallet: me,
                key: key.into(),
            })
        };
        let group = vec![
            Submission::new(vec![order(1, me, Side::Buy, 10)], target("k1")),
            // Every order refused: the response is still kept for the key.
            Submission::new(vec![order(2, me, Side::Buy, 10)], target("k2")),
        ];
        s.accept_orders(&group, &Holdings::new(), T0, render)
            .await
            .unwrap();
        assert_eq!(
            s.claim_idempotency_key(me, "k1", "body", T0).await.unwrap(),
            IdempotencyClaim::Replay("0:[Ok(())]".into()),
            "{backend}"
        );
        assert_eq!(
            s.claim_idempotency_key(me, "k2", "body", T0).await.unwrap(),
            IdempotencyClaim::Replay("1:[Err(InsufficientBalance)]".into()),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_response_commits_with_a_group_accepted_against_known_balances() {
    on_each_backend(|s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        // The first group reads the balance (the locking path); the next ones are decided
        // against what it left, so on PostgreSQL their responses are kept by the optimistic
        // statement with responses (the test fails when that statement leaves them out).
        let first = vec![Submission::new(vec![order(1, me, Side::Buy, 10)], None)];
        s.accept_orders(&first, &Holdings::new(), T0, render)
            .await
            .unwrap();
        for (seed, key) in [(2, "k1"), (3, "k2")] {
            assert_eq!(
                s.claim_idempotency_key(me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Claimed
            );
            let target = IdempotencyTarget {
                wallet: me,
                key: key.into(),
            };
            let group = vec![Submission::new(
                vec![order(seed, me, Side::Buy, 10)],
                Some(target),
            )];
            let outcomes = s
                .accept_orders(&group, &Holdings::new(), T0, render)
                .await
                .unwrap();
            assert_eq!(outcomes, vec![vec![Ok(())]], "{backend}");
            assert_eq!(
                s.claim_idempotency_key(me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Replay("0:[Ok(())]".into()),
                "{backend}"
            );
        }
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(70, 30),
            "{backend}"
        );
    })
    .await;
}

/// Makes every insert of `hash` fail inside the database, as a lost connection or a full disk
/// would fail a commit midway.
async fn poison(url: &str, backend: Backend, hash: &OrderHash) {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let sql = match backend {
        Backend::Sqlite => format!(
            "CREATE TRIGGER poison BEFORE INSERT ON orders WHEN NEW.order_hash = '{hash}' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.order_hash = '{hash}' THEN RAISE EXCEPTION 'injected failure'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION poison();"
        ),
    };
    sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// Makes the insert of `trigger` store a copy of it under `hash` first, as another instance
/// would that stores `hash` after this one's duplicate check and before its insert.
async fn race(url: &str, backend: Backend, trigger: &OrderHash, hash: &OrderHash) {
    const COLUMNS: &str = "wallet, condition_id, chain_id, token_id, outcome, side, order_type, \
        price_ticks, size_hundredths, remaining_hundredths, status, salt, maker, signer, taker, \
        maker_amount, taker_amount, expiration, expires_at, nonce, fee_rate_bps, \
        signature_type, signature, book_added_at, created_at, updated_at, reserved";
    let new_values = COLUMNS
        .split(',')
        .map(|c| format!("NEW.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let sql = match backend {
        Backend::Sqlite => format!(
            "CREATE TRIGGER race BEFORE INSERT ON orders WHEN NEW.order_hash = '{trigger}' \
             BEGIN INSERT INTO orders (order_hash, {COLUMNS}) VALUES ('{hash}', {new_values}); END;"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION race() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.order_hash = '{trigger}' THEN \
             INSERT INTO orders (order_hash, {COLUMNS}) VALUES ('{hash}', {new_values}); \
             END IF; RETURN NEW; END $$; \
             CREATE TRIGGER race BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION race();"
        ),
    };
    sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_hash_stored_by_another_instance_midway_reserves_nothing() {
    on_each_backend(|s, url, backend| async move {
        if other_instance(&url, backend).await.is_none() {
            return;
        }
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        let (first, raced, last) = (
            order(1, me, Side::Buy, 60),
            order(2, me, Side::Buy, 40),
            order(3, me, Side::Buy, 40),
        );
        // Order 2's hash is stored (by "another instance") while order 1 is inserted: after
        // the duplicate check. Order 2 must be a duplicate that reserves nothing, so order 3
        // still finds the 40 it needs; deciding all three before inserting would refuse it.
        race(&url, s.backend(), &first.order_hash, &raced.order_hash).await;
        let out = s
            .accept_orders(
                &[submission(vec![first, raced, last])],
                &Holdings::new(),
                T0,
                render,
            )
            .await
            .unwrap();
        assert_eq!(
            out,
            vec![vec![Ok(()), Err(Refusal::Duplicate), Ok(())]],
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 100),
            "{backend}"
        );
        for seed in [1, 3] {
            let stored = s.order(&order(seed, me, Side::Buy, 1).order_hash).await;
            assert!(stored.unwrap().is_some(), "{backend}: {seed}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_failure_midway_leaves_no_order_no_reservation_and_no_response() {
    on_each_backend(|s, url, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        s.claim_idempotency_key(me, "k", "body", T0).await.unwrap();
        let bad = order(3, me, Side::Buy, 1);
        poison(&url, s.backend(), &bad.order_hash).await;
        let group = vec![
            Submission::new(
                vec![order(1, me, Side::Buy, 10)],
                Some(IdempotencyTarget {
                    wallet: me,
                    key: "k".into(),
                }),
            ),
            submission(vec![order(2, me, Side::Buy, 10), bad]),
        ];
        let err = s
            .accept_orders(&group, &Holdings::new(), T0, render)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{backend}: {err}");
        for seed in [1, 2, 3] {
            let hash = order(seed, me, Side::Buy, 1).order_hash;
            assert_eq!(s.order(&hash).await.unwrap(), None, "{backend}: {seed}");
        }
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(100, 0),
            "{backend}"
        );
        assert_eq!(
            s.claim_idempotency_key(me, "k", "body", T0).await.unwrap(),
            IdempotencyClaim::InFlight,
            "{backend}: no response was kept"
        );
        // The store is usable afterwards: the write connection was given back clean.
        let out = s
            .accept_orders(
                &[submission(vec![order(1, me, Side::Buy, 10)])],
                &Holdings::new(),
                T0,
                render,
            )
            .await
            .unwrap();
        assert_eq!(out, vec![vec![Ok(())]], "{backend}");
        // Each hash finds its own row, across the rolled-back attempt's unused rows.
        accept(&s, vec![order(4, me, Side::Buy, 10)]).await;
        for seed in [1, 4] {
            let stored = s.order(&order(seed, me, Side::Buy, 1).order_hash).await;
            assert_eq!(
                stored.unwrap().map(|o| o.salt),
                Some(U256::from(seed)),
                "{backend}"
            );
        }
    })
    .await;
}

/// Another gateway instance on the same database. The embedded store admits one at a time (its
/// hash index lives in the process that holds the file): there, the second one is refused and
/// `None` ends the test.
async fn other_instance(url: &str, backend: &str) -> Option<Store> {
    let other = Store::connect(url, &store::StoreOptions::default()).await;
    if backend == "sqlite" {
        let err = other.expect_err("a second store on one SQLite file");
        assert!(matches!(err, StoreError::InUse(_)), "{err}");
        return None;
    }
    Some(other.unwrap())
}

#[tokio::test]
async fn balances_changed_since_the_last_group_are_read_afresh() {
    on_each_backend(|s, url, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        accept(&s, vec![order(1, me, Side::Buy, 60)]).await;
        // Lower than this process last saw (40 available): written behind its back.
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE balances SET available = '10'")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let out = decide(&s, &[submission(vec![order(2, me, Side::Buy, 20)])]).await;
        assert_eq!(
            out,
            vec![vec![Err(Refusal::InsufficientBalance)]],
            "{backend}"
        );
        // Higher than it last saw: a cancel returns the 60.
        let cancelled = s
            .cancel_orders(
                me,
                &CancelSelection::Hashes(vec![order(1, me, Side::Buy, 1).order_hash]),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(cancelled.len(), 1, "{backend}");
        accept(&s, vec![order(3, me, Side::Buy, 60)]).await;
        // As this process last saw it: its response is kept with the orders as ever.
        s.claim_idempotency_key(me, "k", "body", T0).await.unwrap();
        let keyed = Submission::new(
            vec![order(4, me, Side::Buy, 10)],
            Some(IdempotencyTarget {
                wallet: me,
                key: "k".into(),
            }),
        );
        assert_eq!(decide(&s, &[keyed]).await, vec![vec![Ok(())]], "{backend}");
        assert_eq!(
            s.claim_idempotency_key(me, "k", "body", T0).await.unwrap(),
            IdempotencyClaim::Replay("0:[Ok(())]".into()),
            "{backend}"
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(0, 70),
            "{backend}"
        );
    })
    .await;
}

/// On SQLite an optimistic acceptance writes through a connection of its own, beside the one
/// credits, cancels and the locking path use: interleaved in any order, no write may find the
/// database busy, and the ledger stays whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_beside_acceptance_all_succeed() {
    on_each_backend(|s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(1_000), T0)
            .await
            .unwrap();
        let mut accepts = Vec::new();
        let mut others = Vec::new();
        for seed in 1..=120u8 {
            let s2 = s.clone();
            accepts.push(tokio::spawn(async move {
                let group = [submission(vec![order(seed, me, Side::Buy, 5)])];
                s2.accept_orders(&group, &Holdings::new(), T0, render).await
            }));
            let s2 = s.clone();
            others.push(tokio::spawn(async move {
                if seed % 2 == 0 {
                    s2.credit_balance(me, Asset::Collateral, wei(1), T0)
                        .await
                        .map(drop)
                } else {
                    // The order may not be stored yet: then there is nothing to cancel.
                    let hashes = vec![order(seed, me, Side::Buy, 5).order_hash];
                    let selection = CancelSelection::Hashes(hashes);
                    s2.cancel_orders(me, &selection, T0).await.map(drop)
                }
            }));
        }
        for accepted in accepts {
            let out = accepted.await.unwrap().unwrap();
            assert_eq!(out, vec![vec![Ok(())]], "{backend}");
        }
        for other in others {
            other.await.unwrap().unwrap();
        }
        let after = s.balance(me, Asset::Collateral).await.unwrap();
        assert_eq!(
            after.available.0 + after.reserved.0,
            U256::from(1_000 + 60),
            "{backend}: {after:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_hash_another_instance_stored_is_a_duplicate_in_a_later_group() {
    on_each_backend(|s, url, backend| async move {
        let (me, them) = (wallet(0xaa), wallet(0xbb));
        for w in [me, them] {
            s.credit_balance(w, Asset::Collateral, wei(100), T0)
                .await
                .unwrap();
        }
        accept(&s, vec![order(1, me, Side::Buy, 10)]).await;
        // Same hash as this wallet's next order: my balance is as this instance last saw it,
        // only the hash is taken.
        let Some(other) = other_instance(&url, backend).await else {
            return;
        };
        accept(&other, vec![order(2, them, Side::Buy, 10)]).await;
        other.close().await;
        for key in ["k1", "k2"] {
            s.claim_idempotency_key(me, key, "body", T0).await.unwrap();
        }
        let keyed = |orders, key: &str| {
            Submission::new(
                orders,
                Some(IdempotencyTarget {
                    wallet: me,
                    key: key.into(),
                }),
            )
        };
        let out = decide(
            &s,
            &[keyed(
                vec![order(2, me, Side::Buy, 10), order(3, me, Side::Buy, 10)],
                "k1",
            )],
        )
        .await;
        assert_eq!(
            out,
            vec![vec![Err(Refusal::Duplicate), Ok(())]],
            "{backend}"
        );
        let out = decide(&s, &[keyed(vec![order(4, me, Side::Buy, 10)], "k2")]).await;
        assert_eq!(out, vec![vec![Ok(())]], "{backend}");
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(70, 30),
            "{backend}"
        );
        let stored = s
            .order(&order(2, me, Side::Buy, 1).order_hash)
            .await
            .unwrap();
        assert_eq!(stored.map(|o| o.wallet), Some(them), "{backend}");
        for (key, response) in [("k1", "0:[Err(Duplicate), Ok(())]"), ("k2", "0:[Ok(())]")] {
            assert_eq!(
                s.claim_idempotency_key(me, key, "body", T0).await.unwrap(),
                IdempotencyClaim::Replay(response.into()),
                "{backend}: {key}"
            );
        }
    })
    .await;
}

/// The group's outcomes, with the ledger as the only balance source.
async fn decide(s: &Store, group: &[Submission]) -> Vec<Vec<Result<(), Refusal>>> {
    s.accept_orders(group, &Holdings::new(), T0, render)
        .await
        .unwrap()
}

async fn accept(s: &Store, orders: Vec<OrderRecord>) {
    let out = decide(s, &[submission(orders)]).await;
    assert!(out[0].iter().all(|o| o.is_ok()), "{out:?}");
}

#[tokio::test]
async fn accepted_orders_read_back_field_for_field() {
    on_each_backend(|s, _, backend| async move {
        let me = wallet(0xab);
        s.credit_balance(me, Asset::Collateral, Wei(U256::MAX >> 1), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(1_000), T0).await.unwrap();
        // The first group is decided on locked balances, the second against the balances the
        // first left (the optimistic path: on SQLite another connection and other statements).
        for (first, second) in [(1, 2), (3, 4)] {
            let (wide, narrow) = (wide_order(first, me), narrow_order(second, me));
            accept(&s, vec![wide.clone(), narrow.clone()]).await;
            for expected in [wide, narrow] {
                let stored = s.order(&expected.order_hash).await.unwrap();
                assert_eq!(stored.as_ref(), Some(&expected), "{backend}");
            }
        }
    })
    .await;
}

/// An order at the extremes of every column, its nullable ones set.
fn wide_order(seed: u8, me: Wallet) -> OrderRecord {
    let mut wide = order(seed, me, Side::Buy, 10);
    wide.salt = U256::MAX;
    wide.token_id = TokenId(U256::MAX);
    wide.taker = wallet(0xcd);
    wide.maker_amount = Wei(U256::MAX >> 2);
    wide.taker_amount = Wei(U256::MAX);
    wide.reserved = Wei(U256::MAX >> 2);
    wide.expiration = U256::from(4_102_444_800u64);
    wide.nonce = U256::MAX - U256::from(1);
    wide.order_type = OrderType::Gtd;
    wide.fee_rate_bps = u32::MAX;
    wide.signature_type = 255;
    wide.signature = (0..65).map(|i| 255 - i as u8).collect();
    wide.book_added_at = Some(Timestamp(T0.0 + 5));
    wide.price = Ticks::new(99).unwrap();
    wide.size = Size::from_hundredths(u64::MAX >> 1);
    wide.remaining = Size::from_hundredths(1);
    wide
}

/// An order whose nullable columns are unset.
fn narrow_order(seed: u8, me: Wallet) -> OrderRecord {
    let mut narrow = order(seed, me, Side::Sell, 7);
    narrow.outcome = Outcome::No;
    narrow.expiration = U256::MAX;
    narrow
}

#[tokio::test]
async fn cancel_by_hash_releases_exactly_what_is_left_and_only_for_the_owner() {
    on_each_backend(|s, _, backend| async move {
        let (me, other) = (wallet(0xaa), wallet(0xbb));
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(50), T0).await.unwrap();
        s.credit_balance(other, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        accept(
            &s,
            vec![
                order(1, me, Side::Buy, 30),
                order(2, me, Side::Sell, 20),
                order(3, me, Side::Buy, 25),
            ],
        )
        .await;
        accept(&s, vec![order(4, other, Side::Buy, 70)]).await;
        // An engine consumed part of order 3's reservation on a fill.
        s.set_order_state(
            &order(3, me, Side::Buy, 0).order_hash,
            OrderStatus::PartiallyFilled,
            Size::from_hundredths(400),
            T0,
        )
        .await
        .unwrap();

        let hash = |seed: u8| OrderHash(B256::repeat_byte(seed));
        let later = Timestamp(T0.0 + 5);
        let cancelled = s
            .cancel_orders(
                me,
                &CancelSelection::Hashes(vec![hash(2), hash(4), hash(0x42), hash(1), hash(2)]),
                later,
            )
            .await
            .unwrap();
        assert_eq!(cancelled, vec![hash(2), hash(1)], "{backend}");
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(75, 25),
            "{backend}"
        );
        assert_eq!(s.balance(me, token()).await.unwrap(), balance(50, 0));
        let one = s.order(&hash(1)).await.unwrap().unwrap();
        assert_eq!(
            (one.status, one.reserved, one.updated_at),
            (OrderStatus::Cancelled, wei(0), later)
        );
        // The other wallet's order was named but is untouched.
        let theirs = s.order(&hash(4)).await.unwrap().unwrap();
        assert_eq!(
            (theirs.status, theirs.reserved),
            (OrderStatus::Open, wei(70))
        );
        assert_eq!(
            s.balance(other, Asset::Collateral).await.unwrap(),
            balance(30, 70)
        );
        // Cancelling again changes nothing and reports nothing.
        let again = s
            .cancel_orders(me, &CancelSelection::Hashes(vec![hash(1)]), later)
            .await
            .unwrap();
        assert!(again.is_empty(), "{backend}");
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(75, 25)
        );
        // The partly filled order is live, and cancelling it releases what it still holds.
        let rest = s
            .cancel_orders(
                me,
                &CancelSelection::Matching {
                    market: None,
                    outcome: None,
                    side: None,
                },
                later,
            )
            .await
            .unwrap();
        assert_eq!(rest, vec![hash(3)], "{backend}");
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(100, 0)
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_by_filter_matches_market_outcome_and_side() {
    on_each_backend(|s, _, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(1_000), T0)
            .await
            .unwrap();
        s.credit_balance(me, token(), wei(1_000), T0).await.unwrap();
        let mut on_other_market = order(3, me, Side::Buy, 10);
        on_other_market.condition_id = market(2).condition_id;
        let mut no_outcome = order(4, me, Side::Buy, 10);
        no_outcome.outcome = Outcome::No;
        accept(
            &s,
            vec![
                order(1, me, Side::Buy, 10),
                order(2, me, Side::Sell, 10),
                on_other_market,
                no_outcome,
            ],
        )
        .await;
        let hash = |seed: u8| OrderHash(B256::repeat_byte(seed));
        let by = |market, outcome, side| CancelSelection::Matching {
            market,
            outcome,
            side,
        };
        let sells = s
            .cancel_orders(me, &by(Some(market(1)), None, Some(Side::Sell)), T0)
            .await
            .unwrap();
        assert_eq!(sells, vec![hash(2)], "{backend}");
        let no = s
            .cancel_orders(me, &by(Some(market(1)), Some(Outcome::No), None), T0)
            .await
            .unwrap();
        assert_eq!(no, vec![hash(4)], "{backend}");
        let market1 = s
            .cancel_orders(me, &by(Some(market(1)), None, None), T0)
            .await
            .unwrap();
        assert_eq!(market1, vec![hash(1)], "{backend}");
        assert_eq!(
            s.order(&hash(3)).await.unwrap().unwrap().status,
            OrderStatus::Open
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(990, 10)
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_one_cancels_a_live_order_and_leaves_a_closed_one() {
    on_each_backend(|s, _, backend| async move {
        let (me, other) = (wallet(0xaa), wallet(0xbb));
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        accept(
            &s,
            vec![order(1, me, Side::Buy, 40), order(2, me, Side::Buy, 60)],
        )
        .await;
        let hash = |seed: u8| OrderHash(B256::repeat_byte(seed));
        s.set_order_state(&hash(2), OrderStatus::Filled, Size::ZERO, T0)
            .await
            .unwrap();

        assert_eq!(s.cancel_order(other, &hash(1), T0).await.unwrap(), None);
        assert_eq!(
            s.order(&hash(1)).await.unwrap().unwrap().status,
            OrderStatus::Open,
            "{backend}: another wallet cannot cancel it"
        );
        let before = s.cancel_order(me, &hash(1), T0).await.unwrap().unwrap();
        assert_eq!(before.status, OrderStatus::Open, "{backend}");
        assert_eq!(
            s.order(&hash(1)).await.unwrap().unwrap().status,
            OrderStatus::Cancelled
        );
        assert_eq!(
            s.balance(me, Asset::Collateral).await.unwrap(),
            balance(40, 60),
            "{backend}"
        );
        let filled = s.cancel_order(me, &hash(2), T0).await.unwrap().unwrap();
        assert_eq!(filled.status, OrderStatus::Filled);
        assert_eq!(
            s.order(&hash(2)).await.unwrap().unwrap().status,
            OrderStatus::Filled,
            "{backend}"
        );
        assert_eq!(s.cancel_order(me, &hash(0x42), T0).await.unwrap(), None);
    })
    .await;
}

/// Once the store is closed (shutdown after the writer's drain timed out), a group that was
/// still coming is refused as unavailable and nothing of it is stored: neither path reconnects.
#[tokio::test]
async fn a_closed_store_accepts_nothing() {
    on_each_backend(|s, url, backend| async move {
        let me = wallet(0xaa);
        s.credit_balance(me, Asset::Collateral, wei(100), T0)
            .await
            .unwrap();
        // The first group leaves hints, so the next one would go the optimistic way.
        let first = vec![submission(vec![order(1, me, Side::Buy, 10)])];
        s.accept_orders(&first, &Holdings::new(), T0, render)
            .await
            .unwrap();
        s.close().await;

        let late = vec![submission(vec![order(2, me, Side::Buy, 10)])];
        let err = s
            .accept_orders(&late, &Holdings::new(), T0, render)
            .await
            .expect_err("a closed store accepted a group");
        assert!(err.is_unavailable(), "{backend}: {err}");

        let reopened = Store::connect(&url, &store::StoreOptions::default())
            .await
            .unwrap();
        assert_eq!(
            reopened
                .order(&order(2, me, Side::Buy, 10).order_hash)
                .await
                .unwrap(),
            None,
            "{backend}"
        );
        assert_eq!(
            reopened.balance(me, Asset::Collateral).await.unwrap(),
            balance(90, 10),
            "{backend}"
        );
        reopened.close().await;
    })
    .await;
}
