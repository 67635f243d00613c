//! Real signed orders through the order service: acceptance with reservations through the
//! group-commit writer, cancels and their releases, cancel-onchain calldata, and the reads.
//! SQLite always, PostgreSQL when reachable (always under CI).

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{hex, Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use common::{hex0x, TestKey};
use orders::views::{OrderResult, PlaceResponse};
use orders::{
    acceptance_writer, AcceptanceHandle, AcceptanceWriter, Announced, BalanceSource,
    BalanceSourceError, CancelSelection, IdempotencyKey, InternalLedger, MarketTerms, OrderService,
    OrdersQuery, Placed, ServiceError, StatusGroup, TokenTerms, WriterConfig,
};
use serde_json::{json, Value};
use signing::calldata::cancelOrderCall;
use signing::eip712::domain_separator;
use signing::eip712::{order_digest, Order};
use sqlx::Connection;
use store::acceptance::Holdings;
use store::balances::{Asset, Balance};
use store::idempotency::IdempotencyClaim;
use store::{Backend, Store, StoreOptions};
use test_support::PgSchema;
use types::{
    ChainId, ConditionId, ContractAddress, ContractError, ErrorCode, MarketKey, MarketStatus,
    OrderHash, OrderStatus, Outcome, Side, Size, Timestamp, TokenId, Wallet, Wei,
};

const NOW_SECS: i64 = 1_800_000_000;
const NOW: Timestamp = Timestamp(NOW_SECS * 1000);
const YES: u64 = 1001;
const NO: u64 = 1002;
const EXCHANGE: Address = Address::repeat_byte(0x5c);
const E18: u64 = 1_000_000_000_000_000_000;

fn open_market() -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x11)),
        chain_id: ChainId(56),
    }
}

fn paused_market() -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x22)),
        chain_id: ChainId(56),
    }
}

fn terms(key: MarketKey, status: MarketStatus, first_token: u64) -> MarketTerms {
    MarketTerms {
        key,
        status,
        ctf_exchange_address: ContractAddress(EXCHANGE),
        tokens: [
            TokenTerms {
                token_id: TokenId(U256::from(first_token)),
                outcome: Outcome::Yes,
                decimals: 18,
            },
            TokenTerms {
                token_id: TokenId(U256::from(first_token + 1)),
                outcome: Outcome::No,
                decimals: 6,
            },
        ],
        fee_rate_bps: 0,
        min_order_size: Size::from_hundredths(500),
    }
}

fn markets() -> HashMap<MarketKey, MarketTerms> {
    let mut m = HashMap::new();
    m.insert(open_market(), terms(open_market(), MarketStatus::Open, YES));
    m.insert(
        paused_market(),
        terms(paused_market(), MarketStatus::Paused, 2001),
    );
    m
}

fn wei(n: u64) -> Wei {
    Wei(U256::from(n))
}

fn e18(whole: u64, hundredths: u64) -> Wei {
    Wei(U256::from(whole * 100 + hundredths) * U256::from(E18 / 100))
}

/// An order a client builds and signs: `size` shares (hundredths) at `ticks` on a token.
#[derive(Clone)]
struct Draft {
    market: MarketKey,
    token: u64,
    decimals: u32,
    side: Side,
    ticks: u64,
    hundredths: u64,
    salt: u64,
    signer: Address,
    expiration: u64,
    signature_type: u64,
}

impl Draft {
    fn new(key: &TestKey, side: Side, ticks: u64, hundredths: u64, salt: u64) -> Draft {
        Draft {
            market: open_market(),
            token: YES,
            decimals: 18,
            side,
            ticks,
            hundredths,
            salt,
            signer: key.address,
            expiration: 0,
            signature_type: 0,
        }
    }

    fn no_token(mut self) -> Draft {
        self.token = NO;
        self.decimals = 6;
        self
    }

    /// The contract's formula, written out independently of the crate.
    fn amounts(&self) -> (U256, U256) {
        let shares =
            U256::from(self.hundredths) * U256::from(10u8).pow(U256::from(self.decimals - 2));
        let notional = shares * U256::from(self.ticks);
        let hundred = U256::from(100u8);
        match self.side {
            Side::Buy => ((notional + hundred - U256::from(1u8)) / hundred, shares),
            Side::Sell => (shares, notional / hundred),
        }
    }

    fn order(&self) -> Order {
        let (maker_amount, taker_amount) = self.amounts();
        Order {
            salt: U256::from(self.salt),
            maker: self.signer,
            signer: self.signer,
            taker: Address::ZERO,
            tokenId: U256::from(self.token),
            makerAmount: maker_amount,
            takerAmount: taker_amount,
            expiration: U256::from(self.expiration),
            nonce: U256::ZERO,
            feeRateBps: U256::ZERO,
            side: self.side.as_u8(),
            signatureType: 0,
        }
    }

    fn hash(&self) -> OrderHash {
        let sep = domain_separator(self.market.chain_id, ContractAddress(EXCHANGE));
        order_digest(sep, &self.order())
    }

    fn json_with(&self, signature: &[u8], amounts: (U256, U256)) -> Value {
        json!({
            "condition_id": self.market.condition_id.to_string(),
            "chain_id": self.market.chain_id.0,
            "token_id": self.token.to_string(),
            "side": self.side.as_str(),
            "price": format!("{}.{:02}", self.ticks / 100, self.ticks % 100),
            "size": format!("{}.{:02}", self.hundredths / 100, self.hundredths % 100),
            "salt": self.salt.to_string(),
            "signer": self.signer.to_string(),
            "taker": Address::ZERO.to_string(),
            "maker_amount": amounts.0.to_string(),
            "taker_amount": amounts.1.to_string(),
            "expiration": self.expiration.to_string(),
            "nonce": "0",
            "fee_rate_bps": 0,
            "signature_type": self.signature_type,
            "signature": hex0x(signature),
        })
    }

    fn signed_by(&self, key: &TestKey) -> Value {
        self.json_with(&key.sign(&self.hash().0), self.amounts())
    }

    fn signature(&self, key: &TestKey) -> [u8; 65] {
        key.sign(&self.hash().0)
    }
}

struct World {
    store: Store,
    service: OrderService,
    url: String,
    backend: &'static str,
    alice: TestKey,
    bob: TestKey,
}

impl World {
    /// A service whose writer is not running yet: requests queue until it is spawned.
    fn paused(
        store: Store,
        url: String,
        backend: &'static str,
        config: WriterConfig,
    ) -> (World, AcceptanceWriter<InternalLedger>, AcceptanceHandle) {
        let (writer, handle) = acceptance_writer(store.clone(), InternalLedger, config);
        let service = OrderService::new(store.clone(), Arc::new(markets()), handle.clone());
        let world = World {
            store,
            service,
            url,
            backend,
            alice: TestKey::named("alice"),
            bob: TestKey::named("bob"),
        };
        (world, writer, handle)
    }

    fn running(store: Store, url: String, backend: &'static str) -> World {
        let (world, writer, _) = World::paused(store, url, backend, WriterConfig::default());
        writer.spawn();
        world
    }

    async fn credit(&self, who: &TestKey, asset: Asset, amount: Wei) {
        self.store
            .credit_balance(who.wallet(), asset, amount, NOW)
            .await
            .unwrap();
    }

    async fn balance(&self, who: &TestKey, asset: Asset) -> Balance {
        self.store.balance(who.wallet(), asset).await.unwrap()
    }

    async fn place(&self, who: &TestKey, items: Vec<Value>) -> Vec<OrderResult> {
        match self
            .service
            .place_orders(who.wallet(), &items, None, NOW)
            .await
        {
            Ok(Placed::Fresh(r)) => r.results,
            other => panic!("{}: {other:?}", self.backend),
        }
    }

    async fn status(&self, hash: &OrderHash) -> OrderStatus {
        self.store.order(hash).await.unwrap().unwrap().status
    }
}

fn yes() -> Asset {
    Asset::Token(TokenId(U256::from(YES)))
}

fn no() -> Asset {
    Asset::Token(TokenId(U256::from(NO)))
}

fn codes(results: &[OrderResult]) -> Vec<Option<ErrorCode>> {
    results.iter().map(|r| r.error().map(|e| e.code)).collect()
}

/// A request's failure as a client reads it: the code and message the envelope would carry.
#[derive(Debug)]
struct ApiError {
    code: ErrorCode,
    message: String,
}

impl<E: ContractError> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

async fn on_each_backend<F, Fut>(check: F)
where
    F: Fn(Store, String, &'static str) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gw.db", dir.path().display());
    let sqlite = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    check(sqlite, url, "sqlite").await;
    if let Some(schema) = PgSchema::create().await {
        let pg = Store::connect(&schema.url, &StoreOptions::default())
            .await
            .unwrap();
        check(pg.clone(), schema.url.clone(), "postgres").await;
        pg.close().await;
    }
}

#[tokio::test]
async fn a_mixed_batch_accepts_the_valid_orders_and_refuses_each_bad_one_inline() {
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
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
            Draft::new(alice, Side::Sell, 40, 1_234, 13)
                .no_token()
                .signed_by(alice),
        ];
        w.credit(alice, no(), wei(12_340_000)).await;
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
        // Reservations: 5.5 collateral for the BUY, 12.34 NO tokens for the SELL.
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(94, 50),
                reserved: e18(5, 50)
            },
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, no()).await,
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
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
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

#[tokio::test]
async fn an_order_sent_again_later_is_a_duplicate_and_reserves_nothing_more() {
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
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

#[tokio::test]
async fn cancels_release_exactly_what_each_order_reserved() {
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
        let alice = &w.alice;
        w.credit(alice, Asset::Collateral, e18(20, 0)).await;
        w.credit(alice, no(), wei(50_000_000)).await;
        let buy_yes = Draft::new(alice, Side::Buy, 37, 1_234, 1); // 4.5658 collateral
        let buy_no = Draft::new(alice, Side::Buy, 20, 500, 2).no_token(); // 1.00 collateral
        let sell_no = Draft::new(alice, Side::Sell, 70, 1_500, 3).no_token(); // 15 NO
        let results = w
            .place(
                alice,
                vec![
                    buy_yes.signed_by(alice),
                    buy_no.signed_by(alice),
                    sell_no.signed_by(alice),
                ],
            )
            .await;
        assert_eq!(codes(&results), vec![None, None, None], "{backend}");
        let reserved_yes = Wei(U256::from(45_658u64) * U256::from(100_000_000_000_000u64));
        assert_eq!(
            w.balance(alice, Asset::Collateral).await.reserved,
            Wei(reserved_yes.0 + U256::from(1_000_000u64)),
            "{backend}"
        );
        assert_eq!(w.balance(alice, no()).await.reserved, wei(15_000_000));

        // By filter: alice's NO orders that sell.
        let sold = w
            .service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Matching {
                    market: Some(open_market()),
                    outcome: Some(Outcome::No),
                    side: Some(Side::Sell),
                },
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(sold.order_hashes, vec![sell_no.hash()], "{backend}");
        assert_eq!(
            w.balance(alice, no()).await,
            Balance {
                available: wei(50_000_000),
                reserved: wei(0)
            }
        );
        // By hash.
        let by_hash = w
            .service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Hashes(vec![buy_yes.hash()]),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(by_hash.cancelled_count, 1);
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: Wei(e18(20, 0).0 - U256::from(1_000_000u64)),
                reserved: wei(1_000_000)
            },
            "{backend}"
        );
        // Everything left.
        let rest = w
            .service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Matching {
                    market: None,
                    outcome: None,
                    side: None,
                },
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&rest).unwrap(),
            json!({"cancelled_count": 1, "order_hashes": [buy_no.hash().to_string()]})
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(20, 0),
                reserved: wei(0)
            },
            "{backend}"
        );
        assert_eq!(w.status(&buy_no.hash()).await, OrderStatus::Cancelled);
    })
    .await;
}

#[tokio::test]
async fn another_wallets_orders_are_never_cancelled_or_revealed() {
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, Asset::Collateral, e18(10, 0)).await;
        let order = Draft::new(alice, Side::Buy, 50, 1_000, 1);
        w.place(alice, vec![order.signed_by(alice)]).await;
        let by_hash = w
            .service
            .cancel_orders(
                bob.wallet(),
                &CancelSelection::Hashes(vec![order.hash()]),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(by_hash.cancelled_count, 0, "{backend}");
        let all = CancelSelection::Matching {
            market: None,
            outcome: None,
            side: None,
        };
        let everything = w
            .service
            .cancel_orders(bob.wallet(), &all, NOW)
            .await
            .unwrap();
        assert!(everything.order_hashes.is_empty(), "{backend}");
        let onchain = w
            .service
            .cancel_onchain(bob.wallet(), &order.hash(), NOW)
            .await;
        assert!(
            matches!(onchain, Err(ServiceError::OrderNotFound)),
            "{backend}"
        );
        let read = w.service.order(bob.wallet(), &order.hash()).await;
        let err = ApiError::from(read.unwrap_err());
        assert_eq!(err.code, ErrorCode::OrderNotFound);
        assert_eq!(
            w.status(&order.hash()).await,
            OrderStatus::Open,
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(5, 0),
                reserved: e18(5, 0)
            }
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_onchain_takes_the_order_off_the_book_and_returns_its_cancel_order_call() {
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
        let alice = &w.alice;
        w.credit(alice, yes(), e18(100, 0)).await;
        let mut gtd = Draft::new(alice, Side::Sell, 45, 2_500, 0xdead_beef);
        gtd.expiration = NOW_SECS as u64 + 3_600;
        let filled = Draft::new(alice, Side::Sell, 45, 1_000, 2);
        let matched = Draft::new(alice, Side::Sell, 45, 1_000, 3);
        let mut item = gtd.signed_by(alice);
        item["order_type"] = json!("GTD");
        w.place(
            alice,
            vec![item, filled.signed_by(alice), matched.signed_by(alice)],
        )
        .await;

        let view = w
            .service
            .cancel_onchain(alice.wallet(), &gtd.hash(), NOW)
            .await
            .unwrap();
        assert_eq!(view.order_hash, gtd.hash());
        assert_eq!(view.chain_id, ChainId(56));
        assert_eq!(view.to, ContractAddress(EXCHANGE));
        let data = hex::decode(view.data.strip_prefix("0x").unwrap()).unwrap();
        assert_eq!(data[..4], cancelOrderCall::SELECTOR, "{backend}");
        let call = cancelOrderCall::abi_decode(&data).unwrap();
        let signed = gtd.order();
        let o = call.order;
        assert_eq!(o.salt, signed.salt);
        assert_eq!(o.maker, signed.maker);
        assert_eq!(o.signer, signed.signer);
        assert_eq!(o.taker, signed.taker);
        assert_eq!(o.tokenId, signed.tokenId);
        assert_eq!(o.makerAmount, signed.makerAmount);
        assert_eq!(o.takerAmount, signed.takerAmount);
        assert_eq!(o.expiration, signed.expiration);
        assert_eq!(o.nonce, signed.nonce);
        assert_eq!(o.feeRateBps, signed.feeRateBps);
        assert_eq!(o.side, 1);
        assert_eq!(o.signatureType, 0);
        assert_eq!(o.signature, Bytes::from(gtd.signature(alice).to_vec()));
        assert_eq!(
            w.status(&gtd.hash()).await,
            OrderStatus::Cancelled,
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, yes()).await,
            Balance {
                available: e18(80, 0),
                reserved: e18(20, 0)
            },
            "{backend}: only the cancelled order's 25 tokens came back"
        );
        // Asking again still gives the calldata (the signature is valid on chain until then).
        let again = w
            .service
            .cancel_onchain(alice.wallet(), &gtd.hash(), NOW)
            .await
            .unwrap();
        assert_eq!(again.data, view.data);
        assert_eq!(w.balance(alice, yes()).await.available, e18(80, 0));

        for (draft, status) in [
            (&filled, OrderStatus::Filled),
            (&matched, OrderStatus::Matched),
        ] {
            w.store
                .set_order_state(&draft.hash(), status, Size::ZERO, NOW)
                .await
                .unwrap();
            let err = w
                .service
                .cancel_onchain(alice.wallet(), &draft.hash(), NOW)
                .await
                .unwrap_err();
            assert_eq!(ApiError::from(err).code, ErrorCode::OrderAlreadyFilled);
            assert_eq!(w.status(&draft.hash()).await, status, "{backend}");
        }
        let unknown = OrderHash(B256::repeat_byte(0x42));
        let err = w
            .service
            .cancel_onchain(alice.wallet(), &unknown, NOW)
            .await
            .unwrap_err();
        assert_eq!(ApiError::from(err).code, ErrorCode::OrderNotFound);
    })
    .await;
}

#[tokio::test]
async fn orders_are_listed_by_status_group_a_page_at_a_time() {
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, Asset::Collateral, e18(100, 0)).await;
        w.credit(bob, Asset::Collateral, e18(100, 0)).await;
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
                NOW,
            )
            .await
            .unwrap();
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
        let err = ApiError::from(bad);
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert!(err.message.starts_with("cursor"), "{}", err.message);

        let view = w
            .service
            .order(alice.wallet(), &drafts[2].hash())
            .await
            .unwrap();
        let json = serde_json::to_value(&view).unwrap();
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
                "book_added_at": null,
                "created_at": NOW.to_string(),
                "updated_at": NOW.to_string(),
            }),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_response_committed_with_the_orders() {
    on_each_backend(|store, url, backend| async move {
        let w = World::running(store, url, backend);
        let alice = &w.alice;
        w.credit(alice, Asset::Collateral, e18(10, 0)).await;
        let items = vec![Draft::new(alice, Side::Buy, 50, 1_000, 1).signed_by(alice)];
        let key = IdempotencyKey {
            key: "retry-1",
            request_hash: "body-1",
        };
        let first = w
            .service
            .place_orders(alice.wallet(), &items, Some(key), NOW)
            .await
            .unwrap();
        let Placed::Fresh(response) = first else {
            panic!("{backend}: first request replayed");
        };
        let replay = w
            .service
            .place_orders(alice.wallet(), &items, Some(key), NOW)
            .await
            .unwrap();
        assert_eq!(
            replay,
            Placed::Replayed(serde_json::to_string(&response).unwrap()),
            "{backend}"
        );
        let other_body = IdempotencyKey {
            key: "retry-1",
            request_hash: "body-2",
        };
        let err = w
            .service
            .place_orders(alice.wallet(), &items, Some(other_body), NOW)
            .await
            .unwrap_err();
        assert_eq!(ApiError::from(err).code, ErrorCode::IdempotencyConflict);
        assert_eq!(
            w.balance(alice, Asset::Collateral).await.reserved,
            e18(5, 0),
            "{backend}: reserved once"
        );
    })
    .await;
}

/// An external balance source that cannot answer (a chain RPC that times out).
struct Unreachable;

impl BalanceSource for Unreachable {
    async fn holdings(&self, _: &[(Wallet, Asset)]) -> Result<Holdings, BalanceSourceError> {
        Err(BalanceSourceError("eth_call timed out".to_string()))
    }
}

#[tokio::test]
async fn an_unreachable_balance_source_is_service_degraded_and_accepts_nothing() {
    on_each_backend(|store, _url, backend| async move {
        let (writer, handle) =
            acceptance_writer(store.clone(), Unreachable, WriterConfig::default());
        writer.spawn();
        let service = OrderService::new(store.clone(), Arc::new(markets()), handle);
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
        let err = ApiError::from(err);
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
            store
                .claim_idempotency_key(alice.wallet(), "degraded", "body-1", NOW)
                .await
                .unwrap(),
            IdempotencyClaim::Claimed,
            "{backend}"
        );
    })
    .await;
}

/// The idempotency key both requests of the in-flight tests send, with the same body.
const IN_FLIGHT_KEY: IdempotencyKey<'static> = IdempotencyKey {
    key: "in-flight",
    request_hash: "body-1",
};

type PlaceTask = tokio::task::JoinHandle<Result<Placed, ApiError>>;

/// Spawns `w`'s Alice placing `items` with [`IN_FLIGHT_KEY`].
fn place_keyed(w: &Arc<World>, items: &[Value]) -> PlaceTask {
    let (w, items) = (Arc::clone(w), items.to_vec());
    tokio::spawn(async move {
        w.service
            .place_orders(w.alice.wallet(), &items, Some(IN_FLIGHT_KEY), NOW)
            .await
            .map_err(ApiError::from)
    })
}

/// The `first` keyed request is answered fresh with its order accepted, the one `later`
/// gives replays that answer, and the order (5.00 of collateral) is reserved once.
async fn answered_once(
    w: &World,
    backend: &str,
    first: PlaceTask,
    later: impl FnOnce() -> PlaceTask,
) {
    let Placed::Fresh(response) = first.await.unwrap().unwrap() else {
        panic!("{backend}: the first request replayed");
    };
    assert!(response.results[0].accepted().is_some(), "{backend}");
    assert_eq!(
        later().await.unwrap().unwrap(),
        Placed::Replayed(serde_json::to_string(&response).unwrap()),
        "{backend}"
    );
    assert_eq!(
        w.balance(&w.alice, Asset::Collateral).await.reserved,
        e18(5, 0),
        "{backend}: reserved once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_key_is_in_flight_waits_and_replays_the_first_answer() {
    on_each_backend(|store, url, backend| async move {
        let (w, writer, handle) = World::paused(store, url, backend, WriterConfig::default());
        let w = Arc::new(w);
        w.credit(&w.alice, Asset::Collateral, e18(10, 0)).await;
        let items = [Draft::new(&w.alice, Side::Buy, 50, 1_000, 1).signed_by(&w.alice)];
        let first = place_keyed(&w, &items);
        until_queued(&handle, 1).await;
        let second = place_keyed(&w, &items);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !second.is_finished(),
            "{backend}: answered while the first is in flight"
        );
        assert_eq!(
            handle.queued(),
            1,
            "{backend}: the second never reaches the writer"
        );

        writer.spawn();
        answered_once(&w, backend, first, || second).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_key_stays_in_flight_past_the_wait_is_a_409_and_changes_nothing() {
    on_each_backend(|store, url, backend| async move {
        let (mut w, writer, handle) = World::paused(store, url, backend, WriterConfig::default());
        w.service = w.service.with_in_flight_wait(Duration::from_millis(50));
        let w = Arc::new(w);
        w.credit(&w.alice, Asset::Collateral, e18(10, 0)).await;
        let items = [Draft::new(&w.alice, Side::Buy, 50, 1_000, 1).signed_by(&w.alice)];
        let first = place_keyed(&w, &items);
        until_queued(&handle, 1).await;
        let refused = place_keyed(&w, &items).await.unwrap().unwrap_err();
        assert_eq!(refused.code, ErrorCode::IdempotencyConflict, "{backend}");
        assert!(
            refused.message.contains("still being processed"),
            "{backend}: {}",
            refused.message
        );

        writer.spawn();
        // A retry once the first is answered replays it.
        answered_once(&w, backend, first, || place_keyed(&w, &items)).await;
    })
    .await;
}

/// Waits until `n` requests wait for the (not yet running) writer.
async fn until_queued(handle: &AcceptanceHandle, n: usize) {
    for _ in 0..500 {
        if handle.queued() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("only {} of {n} requests queued", handle.queued());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_through_the_group_commit_accept_each_order_once() {
    on_each_backend(|store, url, backend| async move {
        let config = WriterConfig {
            max_requests: 8,
            ..WriterConfig::default()
        };
        let (w, writer, handle) = World::paused(store, url, backend, config);
        let w = Arc::new(w);
        let alice = TestKey::named("alice");
        w.credit(&alice, Asset::Collateral, e18(1_000, 0)).await;
        // Every request sends the same shared order and one of its own.
        let shared = Draft::new(&alice, Side::Buy, 50, 1_000, 0);
        let mut tasks = Vec::new();
        for i in 1..=20u64 {
            let w = Arc::clone(&w);
            let items = vec![
                shared.signed_by(&alice),
                Draft::new(&alice, Side::Buy, 50, 1_000, i).signed_by(&alice),
            ];
            let wallet = alice.wallet();
            tasks.push(tokio::spawn(async move {
                w.service.place_orders(wallet, &items, None, NOW).await
            }));
        }
        until_queued(&handle, 20).await;
        writer.spawn();
        let mut shared_accepted = 0;
        for task in tasks {
            let Placed::Fresh(r) = task.await.unwrap().unwrap() else {
                panic!("replayed without a key");
            };
            match r.results[0].error() {
                None => shared_accepted += 1,
                Some(e) => assert_eq!(e.code, ErrorCode::DuplicateOrder, "{backend}"),
            }
            assert!(r.results[1].accepted().is_some(), "{backend}");
        }
        assert_eq!(shared_accepted, 1, "{backend}");
        // 21 orders of 5.00 each: reserved once each.
        assert_eq!(
            w.balance(&alice, Asset::Collateral).await,
            Balance {
                available: e18(895, 0),
                reserved: e18(105, 0)
            },
            "{backend}"
        );
        let all = w
            .service
            .list_orders(
                alice.wallet(),
                &OrdersQuery {
                    market: None,
                    status: StatusGroup::All,
                    cursor: None,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        assert_eq!(all.data.len(), 21, "{backend}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_writers_each_decide_their_own_wallets_and_reserve_exactly_once() {
    on_each_backend(|store, url, backend| async move {
        let config = WriterConfig {
            writers: 3,
            ..WriterConfig::default()
        };
        let (w, writer, handle) = World::paused(store, url, backend, config);
        let w = Arc::new(w);
        let keys: Vec<TestKey> = (0..6).map(|i| TestKey::named(&format!("w{i}"))).collect();
        for key in &keys {
            // Enough for three of the four orders each sends.
            w.credit(key, Asset::Collateral, e18(15, 0)).await;
        }
        let mut tasks = Vec::new();
        for key in &keys {
            // Two requests per wallet, each with an order the other also sends.
            let shared = Draft::new(key, Side::Buy, 50, 1_000, 0).signed_by(key);
            for i in 1..=2u64 {
                let w = Arc::clone(&w);
                let items = vec![
                    shared.clone(),
                    Draft::new(key, Side::Buy, 50, 1_000, i).signed_by(key),
                    Draft::new(key, Side::Buy, 50, 1_000, 10 + i).signed_by(key),
                ];
                let wallet = key.wallet();
                tasks.push(tokio::spawn(async move {
                    w.service.place_orders(wallet, &items, None, NOW).await
                }));
            }
        }
        until_queued(&handle, 12).await;
        writer.spawn();
        let mut outcomes = Vec::new();
        for task in tasks {
            let Placed::Fresh(r) = task.await.unwrap().unwrap() else {
                panic!("replayed without a key");
            };
            outcomes.extend(codes(&r.results));
        }
        // Per wallet: five distinct orders of 5.00 against 15.00: three accepted, the shared
        // one refused once as a duplicate, one refused for want of balance.
        let accepted = outcomes.iter().filter(|c| c.is_none()).count();
        let duplicates = outcomes
            .iter()
            .filter(|c| **c == Some(ErrorCode::DuplicateOrder))
            .count();
        let short = outcomes
            .iter()
            .filter(|c| **c == Some(ErrorCode::InsufficientBalance))
            .count();
        assert_eq!((accepted, duplicates, short), (18, 6, 12), "{backend}");
        for key in &keys {
            assert_eq!(
                w.balance(key, Asset::Collateral).await,
                Balance {
                    available: e18(0, 0),
                    reserved: e18(15, 0)
                },
                "{backend}"
            );
        }
    })
    .await;
}

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
    let (w, writer, handle) = World::paused(store, url, backend, config);
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
    on_each_backend(|store, url, backend| async move {
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
    on_each_backend(|store, url, backend| async move {
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
    on_each_backend(|store, url, backend| async move {
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
    on_each_backend(|store, url, backend| async move {
        // The announced request stays verifying, as far as the writer can tell.
        let wait = Duration::from_millis(200);
        let b = behind(store, url, backend, filling(45, 1, wait), 1).await;
        committed(b.first, "once the wait was over").await;
        assert!(b.started.elapsed() >= wait, "{backend}: did not wait");
        assert_eq!(group_totals(&b.handle), (1, 1, 1), "{backend}");
    })
    .await;
}

/// Makes every insert of `hash` fail inside the database, as a lost connection or a full disk
/// would fail a group's transaction midway.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_group_commit_accepts_nothing_and_fails_every_request_of_the_group() {
    on_each_backend(|store, url, backend| async move {
        let (w, writer, handle) = World::paused(store, url, backend, WriterConfig::default());
        let w = Arc::new(w);
        let alice = TestKey::named("alice");
        w.credit(&alice, Asset::Collateral, e18(100, 0)).await;
        let good = Draft::new(&alice, Side::Buy, 50, 1_000, 1);
        let bad = Draft::new(&alice, Side::Buy, 50, 1_000, 2);
        poison(&w.url, w.store.backend(), &bad.hash()).await;

        let keyed = {
            let w = Arc::clone(&w);
            let items = vec![good.signed_by(&alice)];
            let wallet = alice.wallet();
            tokio::spawn(async move {
                let key = IdempotencyKey {
                    key: "k",
                    request_hash: "body",
                };
                w.service.place_orders(wallet, &items, Some(key), NOW).await
            })
        };
        until_queued(&handle, 1).await;
        let poisoned = {
            let w = Arc::clone(&w);
            let items = vec![bad.signed_by(&alice)];
            let wallet = alice.wallet();
            tokio::spawn(async move { w.service.place_orders(wallet, &items, None, NOW).await })
        };
        until_queued(&handle, 2).await;
        writer.spawn();
        for task in [keyed, poisoned] {
            let err = task.await.unwrap().unwrap_err();
            assert_eq!(
                ApiError::from(err).code,
                ErrorCode::InternalError,
                "{}",
                w.backend
            );
        }
        for hash in [good.hash(), bad.hash()] {
            assert_eq!(w.store.order(&hash).await.unwrap(), None, "{}", w.backend);
        }
        assert_eq!(
            w.balance(&alice, Asset::Collateral).await,
            Balance {
                available: e18(100, 0),
                reserved: wei(0)
            },
            "{}",
            w.backend
        );
        // The key was given back: a retry is processed afresh, and succeeds.
        let retry = w
            .service
            .place_orders(
                alice.wallet(),
                &[good.signed_by(&alice)],
                Some(IdempotencyKey {
                    key: "k",
                    request_hash: "body",
                }),
                NOW,
            )
            .await
            .unwrap();
        let Placed::Fresh(r) = retry else {
            panic!("{}: replayed a failed request", w.backend);
        };
        assert!(r.results[0].accepted().is_some());
        assert!(matches!(
            w.store
                .claim_idempotency_key(alice.wallet(), "k", "body", NOW)
                .await
                .unwrap(),
            IdempotencyClaim::Replay(_)
        ));
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
    let (w, _writer, _handle) = World::paused(store, url, "sqlite", WriterConfig::default());
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
