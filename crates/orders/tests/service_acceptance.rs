//! Real signed orders through the order service: acceptance with reservations through the
//! group-commit writer, duplicates, the batch the writer never needs to see, and a balance source
//! that cannot answer. SQLite always; PostgreSQL in the `_on_postgres` tests, which need
//! `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{B256, U256};
use common::TestKey;
use orders::acceptance::Holdings;
use orders::idempotency::{claim_key, IdempotencyClaim};
use orders::views::PlaceResponse;
use orders::{
    acceptance_writer, BalanceSource, BalanceSourceError, IdempotencyKey, OrderService, Placed,
    WriterConfig,
};
use serde_json::json;
use service_common::*;
use store::balances::{Asset, Balance};
use store::{Store, StoreOptions};
use test_support::{on_backend, Backend};
use types::{ConditionId, ErrorCode, OrderStatus, Side, Wallet, Wei};

#[tokio::test]
async fn a_mixed_batch_accepts_the_valid_orders_and_refuses_each_bad_one_inline() {
    a_mixed_batch_accepts_the_valid_orders_and_refuses_each_bad_one_inline_on(Backend::Sqlite)
        .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_mixed_batch_accepts_the_valid_orders_and_refuses_each_bad_one_inline_on_postgres() {
    a_mixed_batch_accepts_the_valid_orders_and_refuses_each_bad_one_inline_on(Backend::Postgres)
        .await;
}

async fn a_mixed_batch_accepts_the_valid_orders_and_refuses_each_bad_one_inline_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        let valid = Draft::new(alice, Side::Buy, 55, 1_000, 1);
        let drifted = Draft::new(alice, Side::Buy, 55, 1_000, 2);
        let (maker, taker) = drifted.amounts();
        let drifted_json =
            drifted.json_with(&drifted.signature(alice), (maker + U256::from(1u8), taker));
        let mut out_of_range = Draft::new(alice, Side::Buy, 55, 1_000, 3).signed_by(alice);
        out_of_range["price"] = json!("1.01");
        let mut sub_tick = Draft::new(alice, Side::Buy, 55, 1_000, 4).signed_by(alice);
        sub_tick["price"] = json!("0.555");
        let mut expired = Draft::new(alice, Side::Buy, 55, 1_000, 5);
        expired.expiration = NOW_SECS as u64 - 1;
        let mut unknown_market = Draft::new(alice, Side::Buy, 55, 1_000, 6);
        unknown_market.market.condition_id = ConditionId(B256::repeat_byte(0xee));
        let mut paused = Draft::new(alice, Side::Buy, 55, 1_000, 7);
        paused.market = paused_market();
        paused.token = 2001;
        let mut eip1271 = Draft::new(alice, Side::Buy, 55, 1_000, 8);
        eip1271.signature_type = 1;
        let items = vec![
            valid.signed_by(alice),
            drifted_json,
            Draft::new(alice, Side::Buy, 55, 1_000, 9).signed_by(bob),
            Draft::new(bob, Side::Buy, 55, 1_000, 10).signed_by(bob),
            out_of_range,
            sub_tick,
            Draft::new(alice, Side::Buy, 55, 100, 11).signed_by(alice),
            expired.signed_by(alice),
            unknown_market.signed_by(alice),
            paused.signed_by(alice),
            eip1271.signed_by(alice),
            valid.signed_by(alice),
            // Tokens alice does not hold.
            Draft::new(alice, Side::Sell, 55, 1_000, 12).signed_by(alice),
            // On a market whose tokens have 6 decimals.
            Draft::new(alice, Side::Sell, 40, 1_234, 13)
                .six_decimal_no()
                .signed_by(alice),
        ];
        w.credit(alice, six_no(), wei(12_340_000)).await;
        let results = w.place(alice, items).await;
        use ErrorCode::*;
        assert_eq!(
            codes(&results),
            vec![
                None,
                Some(DriftedAmounts),
                Some(InvalidSignature),
                Some(WalletMismatch),
                Some(PriceOutOfRange),
                Some(InvalidTick),
                Some(SizeTooSmall),
                Some(OrderExpired),
                Some(MarketNotFound),
                Some(MarketNotActive),
                Some(ValidationError),
                Some(DuplicateOrder),
                Some(InsufficientBalance),
                None,
            ],
            "{backend}"
        );
        let body = serde_json::to_value(PlaceResponse {
            results: results.clone(),
        })
        .unwrap();
        assert_eq!(
            body["results"][0],
            json!({
                "order_hash": valid.hash().to_string(),
                "condition_id": open_market().condition_id.to_string(),
                "chain_id": 56,
                "status": "OPEN",
                "price": "0.55",
                "size": "10.00",
                "remaining_size": "10.00",
                "fills": [],
                "book_added_at": null,
                "created_at": NOW.to_string(),
            }),
            "{backend}"
        );
        assert_eq!(
            body["results"][1],
            json!({"error": {"code": "DRIFTED_AMOUNTS", "message": "Drifted signed amounts"}})
        );
        assert_eq!(
            body["results"][12]["error"]["message"],
            format!(
                "Insufficient balance: needs 10.00 YES tokens (10000000000000000000 base units \
                 of token_id {YES}); available 0.00"
            )
        );
        // Reservations: 5.5 collateral for the BUY, 12.34 NO tokens (6 decimals) for the SELL.
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(94, 50),
                reserved: e18(5, 50)
            },
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, six_no()).await,
            Balance {
                available: wei(0),
                reserved: wei(12_340_000)
            }
        );
        // Stored with every signed field and the signature.
        let stored = w.store.order(&valid.hash()).await.unwrap().unwrap();
        assert_eq!(stored.signature, valid.signature(alice).to_vec());
        assert_eq!(stored.maker_amount, e18(5, 50));
        assert_eq!(stored.taker_amount, e18(10, 0));
        assert_eq!(stored.reserved, e18(5, 50), "{backend}");
        assert_eq!(stored.status, OrderStatus::Open);
    })
    .await;
}

#[tokio::test]
async fn a_reservation_sees_only_what_earlier_orders_of_the_batch_left() {
    a_reservation_sees_only_what_earlier_orders_of_the_batch_left_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_reservation_sees_only_what_earlier_orders_of_the_batch_left_on_postgres() {
    a_reservation_sees_only_what_earlier_orders_of_the_batch_left_on(Backend::Postgres).await;
}

async fn a_reservation_sees_only_what_earlier_orders_of_the_batch_left_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let alice = &w.alice;
        w.credit(alice, Asset::Collateral, e18(10, 0)).await;
        let results = w
            .place(
                alice,
                vec![
                    Draft::new(alice, Side::Buy, 55, 1_000, 1).signed_by(alice), // 5.50
                    Draft::new(alice, Side::Buy, 40, 1_000, 2).signed_by(alice), // 4.00
                    Draft::new(alice, Side::Buy, 11, 500, 3).signed_by(alice),   // 0.55 > 0.50
                    Draft::new(alice, Side::Buy, 10, 500, 4).signed_by(alice),   // exactly 0.50
                ],
            )
            .await;
        assert_eq!(
            codes(&results),
            vec![None, None, Some(ErrorCode::InsufficientBalance), None],
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: wei(0),
                reserved: e18(10, 0)
            },
            "{backend}"
        );
        // The refused order was not stored.
        let refused = Draft::new(alice, Side::Buy, 11, 500, 3).hash();
        assert_eq!(w.store.order(&refused).await.unwrap(), None);
    })
    .await;
}

/// A balance source outside the ledger (a chain) that says every wallet holds these totals.
struct Holds(Holdings);

impl BalanceSource for Holds {
    async fn holdings(&self, pairs: &[(Wallet, Asset)]) -> Result<Holdings, BalanceSourceError> {
        Ok(pairs
            .iter()
            .map(|&(wallet, asset)| {
                let total = self.0.get(&(Wallet::ZERO, asset)).copied();
                ((wallet, asset), total.unwrap_or_default())
            })
            .collect())
    }
}

#[tokio::test]
async fn insufficient_balance_says_what_the_order_needs_and_what_is_available_in_whole_units() {
    insufficient_balance_says_what_the_order_needs_and_what_is_available_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn insufficient_balance_says_what_the_order_needs_and_what_is_available_on_postgres() {
    insufficient_balance_says_what_the_order_needs_and_what_is_available_on(Backend::Postgres)
        .await;
}

async fn insufficient_balance_says_what_the_order_needs_and_what_is_available_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        // 10 collateral and 12.34 NO tokens (6 decimals), from the ledger or from a chain.
        let ledger = World::running(store.clone(), url, backend).await;
        ledger
            .credit(&ledger.alice, Asset::Collateral, e18(10, 0))
            .await;
        ledger
            .credit(&ledger.alice, six_no(), wei(12_340_000))
            .await;
        let mut totals = Holdings::new();
        totals.insert((Wallet::ZERO, Asset::Collateral), e18(10, 0));
        totals.insert((Wallet::ZERO, six_no()), wei(12_340_000));
        let (writer, handle) =
            acceptance_writer(store.clone(), Holds(totals), WriterConfig::default());
        writer.hand_off_to(ledger.engine.clone()).spawn();
        let chain = OrderService::new(store, Arc::new(markets()), handle, ledger.engine.clone());

        let bob = &ledger.bob;
        let alice = &ledger.alice;
        for (source, who, service) in [("ledger", alice, &ledger.service), ("chain", bob, &chain)] {
            let items = vec![
                Draft::new(who, Side::Buy, 55, 1_000, 1).signed_by(who), // 5.50 of 10
                Draft::new(who, Side::Buy, 55, 1_000, 2).signed_by(who), // 5.50 of 4.50
                Draft::new(who, Side::Sell, 40, 1_235, 3)
                    .six_decimal_no()
                    .signed_by(who), // 12.35 of 12.34
            ];
            let results = match service.place_orders(who.wallet(), &items, None, NOW).await {
                Ok(Placed::Fresh(r)) => r.results,
                other => panic!("{backend}: {other:?}"),
            };
            let messages: Vec<Option<String>> = results
                .iter()
                .map(|r| r.error().map(|e| e.message.clone()))
                .collect();
            assert_eq!(
                messages,
                vec![
                    None,
                    Some(
                        "Insufficient balance: needs 5.50 collateral (5500000000000000000 base \
                         units); available 4.50"
                            .to_owned()
                    ),
                    Some(format!(
                        "Insufficient balance: needs 12.35 NO tokens (12350000 base units of \
                         token_id {SIX_NO}); available 12.34"
                    )),
                ],
                "{backend}, {source}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn an_order_sent_again_later_is_a_duplicate_and_reserves_nothing_more() {
    an_order_sent_again_later_is_a_duplicate_and_reserves_nothing_more_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn an_order_sent_again_later_is_a_duplicate_and_reserves_nothing_more_on_postgres() {
    an_order_sent_again_later_is_a_duplicate_and_reserves_nothing_more_on(Backend::Postgres).await;
}

async fn an_order_sent_again_later_is_a_duplicate_and_reserves_nothing_more_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let alice = &w.alice;
        w.credit(alice, yes(), e18(50, 0)).await;
        let sell = Draft::new(alice, Side::Sell, 60, 2_000, 1);
        let first = w.place(alice, vec![sell.signed_by(alice)]).await;
        assert_eq!(codes(&first), vec![None], "{backend}");
        // Re-signed with v 0/1 instead of 27/28: same order, same hash.
        let mut sig = sell.signature(alice);
        sig[64] -= 27;
        let again = w
            .place(alice, vec![sell.json_with(&sig, sell.amounts())])
            .await;
        assert_eq!(
            codes(&again),
            vec![Some(ErrorCode::DuplicateOrder)],
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, yes()).await,
            Balance {
                available: e18(30, 0),
                reserved: e18(20, 0)
            },
            "{backend}"
        );
    })
    .await;
}

/// An external balance source that cannot answer (a chain RPC that times out).
struct Unreachable;

impl BalanceSource for Unreachable {
    async fn holdings(&self, _: &[(Wallet, Asset)]) -> Result<Holdings, BalanceSourceError> {
        Err(BalanceSourceError("eth_call timed out".to_owned()))
    }
}

#[tokio::test]
async fn an_unreachable_balance_source_is_service_degraded_and_accepts_nothing() {
    an_unreachable_balance_source_is_service_degraded_and_accepts_nothing_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn an_unreachable_balance_source_is_service_degraded_and_accepts_nothing_on_postgres() {
    an_unreachable_balance_source_is_service_degraded_and_accepts_nothing_on(Backend::Postgres)
        .await;
}

async fn an_unreachable_balance_source_is_service_degraded_and_accepts_nothing_on(
    backend: Backend,
) {
    on_backend(backend, |store, _url, backend| async move {
        let engine = start_engine(&store).await;
        let (writer, handle) =
            acceptance_writer(store.clone(), Unreachable, WriterConfig::default());
        writer.hand_off_to(engine.clone()).spawn();
        let service = OrderService::new(store.clone(), Arc::new(markets()), handle, engine);
        let alice = TestKey::named("alice");
        store
            .credit_balance(alice.wallet(), Asset::Collateral, e18(10, 0), NOW)
            .await
            .unwrap();
        let draft = Draft::new(&alice, Side::Buy, 50, 1_000, 1);
        let key = IdempotencyKey {
            key: "degraded",
            request_hash: "body-1",
        };
        let err = service
            .place_orders(alice.wallet(), &[draft.signed_by(&alice)], Some(key), NOW)
            .await
            .unwrap_err();
        let err = RequestFailure::from(err);
        assert_eq!(err.code, ErrorCode::ServiceDegraded, "{backend}");
        assert_eq!(
            err.message,
            "Balances cannot be read right now; retry shortly"
        );
        assert_eq!(store.order(&draft.hash()).await.unwrap(), None, "{backend}");
        assert_eq!(
            store
                .balance(alice.wallet(), Asset::Collateral)
                .await
                .unwrap(),
            Balance {
                available: e18(10, 0),
                reserved: Wei::ZERO
            },
            "{backend}"
        );
        // The key was released: a retry is processed afresh, not refused as in flight.
        assert_eq!(
            claim_key(&store, alice.wallet(), "degraded", "body-1", NOW)
                .await
                .unwrap(),
            IdempotencyClaim::Claimed,
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_batch_refused_by_stateless_rules_is_answered_without_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gw.db", dir.path().display());
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    // The writer is never run: a request that needed it would wait forever.
    let (w, _writer, _handle) = World::paused(store, url, "sqlite", WriterConfig::default()).await;
    let bob = &w.bob;
    let results = tokio::time::timeout(
        Duration::from_secs(5),
        w.service.place_orders(
            w.alice.wallet(),
            &[Draft::new(bob, Side::Buy, 50, 1_000, 1).signed_by(bob)],
            None,
            NOW,
        ),
    )
    .await
    .expect("answered without the writer")
    .unwrap();
    let Placed::Fresh(r) = results else {
        panic!("replayed without a key")
    };
    assert_eq!(codes(&r.results), vec![Some(ErrorCode::WalletMismatch)]);
}
