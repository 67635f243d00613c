//! What the order service test files share: the markets, orders built and signed as a client
//! builds them, a service over a store with its acceptance writer and a running matching engine
//! (orders trade), and waiting for that writer's queue or for the matcher.

// Each test file uses part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use engine::{CancelTarget, Engine, EngineConfig};
use market_data::BookViews;
use orders::views::OrderResult;
use orders::{
    acceptance_writer, AcceptanceHandle, AcceptanceWriter, InternalLedger, MarketTerms,
    OrderService, Placed, TokenTerms, WriterConfig,
};
use serde_json::{json, Value};
use signing::eip712::{domain_separator, order_digest, Order};
use store::balances::{Asset, Balance};
use store::markets::{MarketRecord, TokenSpec};
use store::Store;
use types::{
    ChainId, ConditionId, ContractAddress, ContractError, ErrorCode, MarketKey, MarketStatus,
    OrderHash, OrderStatus, Outcome, Side, Size, Timestamp, TokenId, Wallet, Wei,
};

use crate::common::{hex0x, TestKey};

/// A request's failure as a client reads it: the code and message the envelope would carry.
#[derive(Debug)]
pub struct RequestFailure {
    pub code: ErrorCode,
    pub message: String,
}

impl<E: ContractError> From<E> for RequestFailure {
    fn from(e: E) -> RequestFailure {
        RequestFailure {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

pub const NOW_SECS: i64 = 1_800_000_000;
pub const NOW: Timestamp = Timestamp(NOW_SECS * 1000);
/// An expiration (Unix seconds) ahead of [`NOW`] and of the clock the matcher expires `GTD`
/// orders by.
pub const FAR_EXPIRATION_SECS: u64 = 4_000_000_000;
pub const YES: u64 = 1001;
pub const NO: u64 = 1002;
/// The tokens of [`six_decimal_market`].
pub const SIX_YES: u64 = 3001;
pub const SIX_NO: u64 = 3002;
pub const EXCHANGE: Address = Address::repeat_byte(0x5c);
pub const E18: u64 = 1_000_000_000_000_000_000;

pub fn open_market() -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x11)),
        chain_id: ChainId(56),
    }
}

pub fn paused_market() -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x22)),
        chain_id: ChainId(56),
    }
}

/// An open market whose tokens have 6 decimals (the others' have 18).
pub fn six_decimal_market() -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x33)),
        chain_id: ChainId(56),
    }
}

/// A market's terms; both of its tokens have `decimals` (the engine matches only markets whose
/// outcome tokens share their base units).
pub fn terms(key: MarketKey, status: MarketStatus, first_token: u64, decimals: u8) -> MarketTerms {
    MarketTerms {
        key,
        status,
        ctf_exchange_address: ContractAddress(EXCHANGE),
        tokens: [
            TokenTerms {
                token_id: TokenId(U256::from(first_token)),
                outcome: Outcome::Yes,
                decimals,
            },
            TokenTerms {
                token_id: TokenId(U256::from(first_token + 1)),
                outcome: Outcome::No,
                decimals,
            },
        ],
        fee_rate_bps: 0,
        min_order_size: Size::from_hundredths(500),
    }
}

pub fn markets() -> HashMap<MarketKey, MarketTerms> {
    let mut m = HashMap::new();
    m.insert(
        open_market(),
        terms(open_market(), MarketStatus::Open, YES, 18),
    );
    m.insert(
        paused_market(),
        terms(paused_market(), MarketStatus::Paused, 2001, 18),
    );
    m.insert(
        six_decimal_market(),
        terms(six_decimal_market(), MarketStatus::Open, SIX_YES, 6),
    );
    m
}

/// The catalog's record of a market [`markets`] describes: what the engine runs it from.
pub fn record(t: &MarketTerms) -> MarketRecord {
    let [yes, no] = t.tokens;
    MarketRecord {
        condition_id: t.key.condition_id,
        chain_id: t.key.chain_id,
        question: format!("Test market {}?", t.key.condition_id),
        status: t.status,
        yes: TokenSpec {
            token_id: yes.token_id,
            decimals: yes.decimals,
        },
        no: TokenSpec {
            token_id: no.token_id,
            decimals: no.decimals,
        },
        collateral_token: ContractAddress(Address::repeat_byte(0xc0)),
        ctf_exchange_address: t.ctf_exchange_address,
        conditional_tokens_address: ContractAddress(Address::repeat_byte(0xc7)),
        fee_rate_bps: t.fee_rate_bps,
        min_order_size: t.min_order_size,
        end_date: None,
        summary: String::new(),
        rules: String::new(),
        translations: Default::default(),
        created_at: NOW,
        updated_at: NOW,
    }
}

/// Stores the markets [`markets`] describes and starts a matching engine over them, as the
/// gateway does at start-up.
pub async fn start_engine(store: &Store) -> Engine {
    start_engine_with(store, Arc::new(engine::InternalLedger)).await
}

/// [`start_engine`] with another settlement backend.
pub async fn start_engine_with(store: &Store, settlement: Arc<dyn engine::Settlement>) -> Engine {
    let records: Vec<MarketRecord> = markets().values().map(record).collect();
    for r in &records {
        store
            .insert_market(r)
            .await
            .expect("a test market is stored");
    }
    Engine::start(
        store.clone(),
        records,
        Arc::new(BookViews::new()),
        settlement,
        EngineConfig::default(),
    )
    .await
    .expect("the engine starts over the test markets")
}

pub fn wei(n: u64) -> Wei {
    Wei(U256::from(n))
}

pub fn e18(whole: u64, hundredths: u64) -> Wei {
    Wei(U256::from(whole * 100 + hundredths) * U256::from(E18 / 100))
}

/// An order a client builds and signs: `size` shares (hundredths) at `ticks` on a token.
#[derive(Clone)]
pub struct Draft {
    pub market: MarketKey,
    pub token: u64,
    pub decimals: u32,
    pub side: Side,
    pub ticks: u64,
    pub hundredths: u64,
    pub salt: u64,
    pub signer: Address,
    pub expiration: u64,
    pub signature_type: u64,
}

impl Draft {
    pub fn new(key: &TestKey, side: Side, ticks: u64, hundredths: u64, salt: u64) -> Draft {
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

    pub fn no_token(mut self) -> Draft {
        self.token = NO;
        self
    }

    /// The NO token of [`six_decimal_market`].
    pub fn six_decimal_no(mut self) -> Draft {
        self.market = six_decimal_market();
        self.token = SIX_NO;
        self.decimals = 6;
        self
    }

    /// The contract's formula, written out independently of the crate.
    pub fn amounts(&self) -> (U256, U256) {
        let shares =
            U256::from(self.hundredths) * U256::from(10u8).pow(U256::from(self.decimals - 2));
        let notional = shares * U256::from(self.ticks);
        let hundred = U256::from(100u8);
        match self.side {
            Side::Buy => ((notional + hundred - U256::from(1u8)) / hundred, shares),
            Side::Sell => (shares, notional / hundred),
        }
    }

    pub fn order(&self) -> Order {
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

    pub fn hash(&self) -> OrderHash {
        let sep = domain_separator(self.market.chain_id, ContractAddress(EXCHANGE));
        order_digest(sep, &self.order())
    }

    pub fn json_with(&self, signature: &[u8], amounts: (U256, U256)) -> Value {
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

    pub fn signed_by(&self, key: &TestKey) -> Value {
        self.json_with(&key.sign(&self.hash().0), self.amounts())
    }

    pub fn signature(&self, key: &TestKey) -> [u8; 65] {
        key.sign(&self.hash().0)
    }
}

pub struct World {
    pub store: Store,
    pub service: OrderService,
    /// Runs every market of [`markets`]; the writer hands accepted orders to it.
    pub engine: Engine,
    pub url: String,
    pub backend: &'static str,
    pub alice: TestKey,
    pub bob: TestKey,
}

impl World {
    /// A service whose writer is not running yet: requests queue until it is spawned. The
    /// engine runs already.
    pub async fn paused(
        store: Store,
        url: String,
        backend: &'static str,
        config: WriterConfig,
    ) -> (World, AcceptanceWriter<InternalLedger>, AcceptanceHandle) {
        let engine = start_engine(&store).await;
        World::over(store, url, backend, config, engine)
    }

    /// A running service whose matchers settle with `settlement`.
    pub async fn settling_with(
        store: Store,
        url: String,
        backend: &'static str,
        settlement: Arc<dyn engine::Settlement>,
    ) -> World {
        let engine = start_engine_with(&store, settlement).await;
        let (world, writer, _) = World::over(store, url, backend, WriterConfig::default(), engine);
        writer.spawn();
        world
    }

    fn over(
        store: Store,
        url: String,
        backend: &'static str,
        config: WriterConfig,
        engine: Engine,
    ) -> (World, AcceptanceWriter<InternalLedger>, AcceptanceHandle) {
        let (writer, handle) = acceptance_writer(store.clone(), InternalLedger, config);
        let writer = writer.hand_off_to(engine.clone());
        let service = OrderService::new(
            store.clone(),
            Arc::new(markets()),
            handle.clone(),
            engine.clone(),
        );
        let world = World {
            store,
            service,
            engine,
            url,
            backend,
            alice: TestKey::named("alice"),
            bob: TestKey::named("bob"),
        };
        (world, writer, handle)
    }

    pub async fn running(store: Store, url: String, backend: &'static str) -> World {
        let (world, writer, _) = World::paused(store, url, backend, WriterConfig::default()).await;
        writer.spawn();
        world
    }

    /// Waits until `market`'s matcher has committed every order handed to it so far (every
    /// order of a `place` that has returned): it takes requests in the order they reach its
    /// queue and answers one only once the batch it was in has committed.
    pub async fn matched(&self, market: MarketKey) {
        self.engine
            .cancel(market, Wallet::ZERO, CancelTarget::Hashes(Vec::new()))
            .await
            .expect("the matcher answers");
    }

    pub async fn credit(&self, who: &TestKey, asset: Asset, amount: Wei) {
        self.store
            .credit_balance(who.wallet(), asset, amount, NOW)
            .await
            .unwrap();
    }

    pub async fn balance(&self, who: &TestKey, asset: Asset) -> Balance {
        self.store.balance(who.wallet(), asset).await.unwrap()
    }

    pub async fn place(&self, who: &TestKey, items: Vec<Value>) -> Vec<OrderResult> {
        match self
            .service
            .place_orders(who.wallet(), &items, None, NOW)
            .await
        {
            Ok(Placed::Fresh(r)) => r.results,
            other => panic!("{}: {other:?}", self.backend),
        }
    }

    pub async fn status(&self, hash: &OrderHash) -> OrderStatus {
        self.store.order(hash).await.unwrap().unwrap().status
    }
}

pub fn yes() -> Asset {
    Asset::Token(TokenId(U256::from(YES)))
}

pub fn no() -> Asset {
    Asset::Token(TokenId(U256::from(NO)))
}

pub fn six_no() -> Asset {
    Asset::Token(TokenId(U256::from(SIX_NO)))
}

pub fn codes(results: &[OrderResult]) -> Vec<Option<ErrorCode>> {
    results.iter().map(|r| r.error().map(|e| e.code)).collect()
}

/// Waits until `n` requests wait for the (not yet running) writer.
pub async fn until_queued(handle: &AcceptanceHandle, n: usize) {
    for _ in 0..500 {
        if handle.queued() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("only {} of {n} requests queued", handle.queued());
}
