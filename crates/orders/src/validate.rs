//! One order item of `POST /v1/orders`, from the wire to a validated, hashed order.
//!
//! The checks run in the documented order (docs/orders.md) and the first failure is the
//! order's inline error:
//! shape → market → price → size → amounts → expiration → signature → wallet → fee.
//! Duplicate hashes and balance reservations need the database; they run after this, on the
//! validated orders, starting with [`mark_batch_duplicates`] for repeats inside one batch.

use std::cell::RefCell;
use std::collections::HashMap;

use alloy_primitives::{hex, B256, U256};
use serde::{de, Deserialize, Deserializer};
use store::orders::OrderRecord;
use types::amounts::DecimalError;
use types::ids::parse_decimal_u256;
use types::{
    ChainId, ConditionId, ContractAddress, MarketKey, MarketStatus, OrderHash, OrderStatus,
    OrderType, Outcome, Side, Size, Ticks, Timestamp, TokenId, Wallet, Wei,
};

use crate::error::{OrderError, ReservedAsset, Shortfall};
use signing::amounts::signed_amounts;
use signing::eip712::{
    order_digest, recover_signer, DomainCache, Order, SignatureError, SIGNATURE_TYPE_EOA,
};

/// A uint256 written as a decimal string (`salt`, amounts, `expiration`, `nonce`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecimalU256(pub U256);

impl<'de> Deserialize<'de> for DecimalU256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = types::text::borrowed_str(d)?;
        parse_decimal_u256(&s)
            .map(DecimalU256)
            .ok_or_else(|| de::Error::custom("must be a decimal integer string up to 2^256-1"))
    }
}

/// The longest signature accepted as hex; real ones are 65 bytes, the rest is a typo or abuse.
const MAX_SIGNATURE_BYTES: usize = 1024;

/// A `0x`-prefixed hex signature; its length is judged with the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureBytes(pub Vec<u8>);

impl<'de> Deserialize<'de> for SignatureBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = types::text::borrowed_str(d)?;
        let digits = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .ok_or_else(|| de::Error::custom("must be 0x followed by hex"))?;
        if digits.len() > MAX_SIGNATURE_BYTES * 2 {
            return Err(de::Error::custom("is too long"));
        }
        hex::decode(digits)
            .map(SignatureBytes)
            .map_err(|_| de::Error::custom("must be 0x followed by an even number of hex digits"))
    }
}

/// One item of the `orders` array, as the client sent it (docs/api.md 6.1).
///
/// Identifiers and uint256 values are parsed here; `price` and `size` stay text so that their
/// own rules (range, tick, minimum) answer with their own codes, in pipeline order.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
// What a client reads when an item is not an object; the derived default names the Rust type.
#[serde(expecting = "an order object")]
pub struct OrderItem {
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub token_id: TokenId,
    pub side: Side,
    pub price: String,
    pub size: String,
    #[serde(default)]
    pub order_type: OrderType,
    pub salt: DecimalU256,
    /// Defaults to `signer` when absent; `null` is refused like any other wrong type.
    #[serde(default, deserialize_with = "types::json::non_null")]
    pub maker: Option<Wallet>,
    pub signer: Wallet,
    /// The zero address: an open order (private orders are refused, see `check_shape`).
    pub taker: Wallet,
    pub maker_amount: DecimalU256,
    pub taker_amount: DecimalU256,
    /// Unix seconds; `"0"` = none.
    pub expiration: DecimalU256,
    pub nonce: DecimalU256,
    pub fee_rate_bps: u64,
    /// Only 0 (EOA) is accepted; kept wide so that any other integer gets the rule's message.
    #[serde(default)]
    pub signature_type: u64,
    pub signature: SignatureBytes,
}

impl OrderItem {
    /// Parses one item; an error names the failing field (`price: invalid type: ...`).
    pub fn from_json(value: &serde_json::Value) -> Result<OrderItem, OrderError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path.is_empty() || path == "." {
                "order".to_owned()
            } else {
                path
            };
            OrderError::invalid(field, e.into_inner().to_string())
        })
    }

    fn maker(&self) -> Wallet {
        self.maker.unwrap_or(self.signer)
    }
}

/// An item of the `orders` array in some parsed form: `wire::WireItem` in the gateway, a
/// `serde_json::Value` in tests and tools.
pub trait ItemSource {
    fn order_item(&self) -> Result<OrderItem, OrderError>;
}

impl ItemSource for serde_json::Value {
    fn order_item(&self) -> Result<OrderItem, OrderError> {
        OrderItem::from_json(self)
    }
}

/// An outcome token of a market, as orders need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenTerms {
    pub token_id: TokenId,
    pub outcome: Outcome,
    pub decimals: u8,
}

/// What order validation needs to know about a market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketTerms {
    pub key: MarketKey,
    pub status: MarketStatus,
    pub ctf_exchange_address: ContractAddress,
    pub tokens: [TokenTerms; 2],
    pub fee_rate_bps: u32,
    pub min_order_size: Size,
}

impl MarketTerms {
    pub fn token(&self, token_id: &TokenId) -> Option<TokenTerms> {
        self.tokens
            .iter()
            .find(|t| t.token_id == *token_id)
            .copied()
    }
}

/// Where validation finds markets (the market catalog in the gateway, a map in tests).
pub trait MarketLookup {
    fn market(&self, key: &MarketKey) -> Option<MarketTerms>;

    /// The market an outcome token belongs to. A token id names one token of one market
    /// (the catalog refuses a market that reuses one), so a balance, which is kept per token,
    /// finds its market and its decimals here.
    fn market_of_token(&self, token: &TokenId) -> Option<MarketTerms>;
}

impl MarketLookup for HashMap<MarketKey, MarketTerms> {
    fn market(&self, key: &MarketKey) -> Option<MarketTerms> {
        self.get(key).copied()
    }

    fn market_of_token(&self, token: &TokenId) -> Option<MarketTerms> {
        self.values().find(|m| m.token(token).is_some()).copied()
    }
}

/// Everything a validation depends on besides the item: no I/O, so it is a pure function.
pub struct Intake<'a, M: MarketLookup + ?Sized> {
    pub markets: &'a M,
    pub domains: &'a DomainCache,
    /// The authenticated wallet (the JWT's, or the one an API key is bound to).
    pub wallet: Wallet,
    pub now: Timestamp,
}

/// An order that passed every stateless rule, with its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedOrder {
    pub hash: OrderHash,
    pub market: MarketKey,
    pub outcome: Outcome,
    /// The traded token's decimals (for messages that show its amounts in whole units).
    pub token_decimals: u8,
    pub order_type: OrderType,
    pub side: Side,
    pub price: Ticks,
    pub size: Size,
    /// The market's fee rate, which the signed `feeRateBps` equals.
    pub fee_rate_bps: u32,
    /// Exactly what was signed: the fields of `cancelOrder(Order)` too.
    pub signed: Order,
    pub signature: [u8; 65],
}

impl ValidatedOrder {
    pub fn maker(&self) -> Wallet {
        Wallet(self.signed.maker)
    }

    pub fn token_id(&self) -> TokenId {
        TokenId(self.signed.tokenId)
    }

    /// The refusal of this order for its balance: it `needs` its reservation of collateral
    /// (BUY) or of the tokens it sells (SELL), and its wallet could spend only `available`.
    pub fn insufficient_balance(&self, needs: Wei, available: Wei) -> OrderError {
        let asset = match self.side {
            Side::Buy => ReservedAsset::Collateral,
            Side::Sell => ReservedAsset::Tokens {
                outcome: self.outcome,
                token_id: self.token_id(),
                decimals: self.token_decimals,
            },
        };
        OrderError::InsufficientBalance(Shortfall {
            asset,
            needs,
            available,
        })
    }

    /// The row to store for this order, accepted `now`: `OPEN`, nothing filled, not yet on
    /// the book (the engine sets `book_added_at`).
    pub fn to_record(&self, now: Timestamp) -> OrderRecord {
        OrderRecord {
            order_hash: self.hash,
            wallet: self.maker(),
            condition_id: self.market.condition_id,
            chain_id: self.market.chain_id,
            token_id: self.token_id(),
            outcome: self.outcome,
            side: self.side,
            order_type: self.order_type,
            price: self.price,
            size: self.size,
            remaining: self.size,
            status: OrderStatus::Open,
            salt: self.signed.salt,
            maker: self.maker(),
            signer: Wallet(self.signed.signer),
            taker: Wallet(self.signed.taker),
            maker_amount: Wei(self.signed.makerAmount),
            taker_amount: Wei(self.signed.takerAmount),
            expiration: self.signed.expiration,
            nonce: self.signed.nonce,
            fee_rate_bps: self.fee_rate_bps,
            signature_type: self.signed.signatureType,
            signature: self.signature.to_vec(),
            book_added_at: None,
            created_at: now,
            updated_at: now,
            // BUY spends collateral, SELL its tokens: `maker_amount` either way.
            reserved: Wei(self.signed.makerAmount),
        }
    }
}

/// Runs the stateless pipeline on one item.
pub fn validate<M: MarketLookup + ?Sized>(
    item: &OrderItem,
    intake: &Intake<'_, M>,
) -> Result<ValidatedOrder, OrderError> {
    validate_with(item, intake, intake.domains)
}

/// Where the pipeline gets a market's EIP-712 domain separator.
trait Separators {
    fn separator(&self, chain_id: ChainId, exchange: ContractAddress) -> B256;
}

impl Separators for DomainCache {
    fn separator(&self, chain_id: ChainId, exchange: ContractAddress) -> B256 {
        DomainCache::separator(self, chain_id, exchange)
    }
}

fn validate_with<M: MarketLookup + ?Sized, S: Separators>(
    item: &OrderItem,
    intake: &Intake<'_, M>,
    separators: &S,
) -> Result<ValidatedOrder, OrderError> {
    check_shape(item)?;
    let (market, token) = check_market(item, intake.markets)?;
    let price = check_price(&item.price)?;
    let size = check_size(&item.size, market.min_order_size)?;
    check_amounts(item, price, size, token.decimals)?;
    check_expiration(item, intake.now)?;
    let signed = signed_struct(item);
    let separator = separators.separator(market.key.chain_id, market.ctf_exchange_address);
    let hash = order_digest(separator, &signed);
    let signature = check_signature(item, &hash)?;
    check_wallets(item, intake.wallet)?;
    check_fee(item, &market)?;
    Ok(ValidatedOrder {
        hash,
        market: market.key,
        outcome: token.outcome,
        token_decimals: token.decimals,
        order_type: item.order_type,
        side: item.side,
        price,
        size,
        fee_rate_bps: market.fee_rate_bps,
        signed,
        signature,
    })
}

/// Orders verified between two offers of the core to other threads (see [`validate_batch`]).
const YIELD_EVERY: usize = 3;

/// Parses and validates every item; repeats of a hash within the batch are `DUPLICATE_ORDER`.
/// Yields the thread between items (see the loop).
pub fn validate_batch<I: ItemSource, M: MarketLookup + ?Sized>(
    items: &[I],
    intake: &Intake<'_, M>,
) -> Vec<Result<ValidatedOrder, OrderError>> {
    let markets = BatchMarkets {
        markets: intake.markets,
        seen: RefCell::new(Vec::new()),
    };
    let intake = Intake {
        markets: &markets,
        domains: intake.domains,
        wallet: intake.wallet,
        now: intake.now,
    };
    let separators = BatchSeparators {
        domains: intake.domains,
        seen: RefCell::new(Vec::new()),
    };
    let mut results: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let result = v
                .order_item()
                .and_then(|item| validate_with(&item, &intake, &separators));
            // A batch is up to 15 signature recoveries without an await. Offering the core every
            // few orders lets the acceptance writer's threads, which every request waits for,
            // run soon after they wake instead of after this worker's time slice (docs/orders.md,
            // "Intake throughput"; the measurement is in docs/perf-log.md).
            if i % YIELD_EVERY == YIELD_EVERY - 1 {
                std::thread::yield_now();
            }
            result
        })
        .collect();
    mark_batch_duplicates(&mut results);
    results
}

/// The markets a batch has looked up so far. A batch nearly always trades one or two markets,
/// and every lookup in the catalog takes a lock and a reference count shared by all workers.
struct BatchMarkets<'a, M: ?Sized> {
    markets: &'a M,
    seen: RefCell<Vec<(MarketKey, Option<MarketTerms>)>>,
}

impl<M: MarketLookup + ?Sized> MarketLookup for BatchMarkets<'_, M> {
    fn market(&self, key: &MarketKey) -> Option<MarketTerms> {
        if let Some((_, terms)) = self.seen.borrow().iter().find(|(k, _)| k == key) {
            return *terms;
        }
        let terms = self.markets.market(key);
        self.seen.borrow_mut().push((*key, terms));
        terms
    }

    fn market_of_token(&self, token: &TokenId) -> Option<MarketTerms> {
        self.markets.market_of_token(token)
    }
}

/// The domain separators a batch has used so far, for the same reason as [`BatchMarkets`].
struct BatchSeparators<'a> {
    domains: &'a DomainCache,
    seen: RefCell<Vec<((ChainId, ContractAddress), B256)>>,
}

impl Separators for BatchSeparators<'_> {
    fn separator(&self, chain_id: ChainId, exchange: ContractAddress) -> B256 {
        let key = (chain_id, exchange);
        if let Some((_, separator)) = self.seen.borrow().iter().find(|(k, _)| *k == key) {
            return *separator;
        }
        let separator = self.domains.separator(chain_id, exchange);
        self.seen.borrow_mut().push((key, separator));
        separator
    }
}

/// The first occurrence of a hash in a batch stands; later ones are `DUPLICATE_ORDER`.
pub fn mark_batch_duplicates(results: &mut [Result<ValidatedOrder, OrderError>]) {
    // A batch is at most 15 orders: comparing with each earlier hash is cheaper than hashing
    // them into a set with a keyed hasher.
    let mut seen: Vec<OrderHash> = Vec::with_capacity(results.len());
    for result in results.iter_mut() {
        let Ok(order) = result else { continue };
        if seen.contains(&order.hash) {
            *result = Err(OrderError::DuplicateOrder);
        } else {
            seen.push(order.hash);
        }
    }
}

fn check_shape(item: &OrderItem) -> Result<(), OrderError> {
    // `chain_id` is in range by its type (1 to 2^63 - 1).
    // A non-zero taker asks that only that address may fill the order; until the engine can
    // honour that, accepting it would let anyone fill a private order.
    if item.taker != Wallet::ZERO {
        return Err(OrderError::invalid(
            "taker",
            "private orders are not supported: taker must be the zero address",
        ));
    }
    if item.signature_type != u64::from(SIGNATURE_TYPE_EOA) {
        return Err(OrderError::invalid(
            "signature_type",
            "must be 0 (EOA); no other signature type is supported",
        ));
    }
    Ok(())
}

fn check_market<M: MarketLookup + ?Sized>(
    item: &OrderItem,
    markets: &M,
) -> Result<(MarketTerms, TokenTerms), OrderError> {
    let key = MarketKey {
        condition_id: item.condition_id,
        chain_id: item.chain_id,
    };
    let market = markets
        .market(&key)
        .ok_or(OrderError::MarketNotFound(item.chain_id))?;
    if !market.status.trades() {
        return Err(OrderError::MarketNotActive(market.status));
    }
    let token = market.token(&item.token_id).ok_or_else(|| {
        OrderError::invalid("token_id", "is not one of this market's outcome tokens")
    })?;
    Ok((market, token))
}

fn check_price(price: &str) -> Result<Ticks, OrderError> {
    price.parse::<Ticks>().map_err(|e| match e {
        DecimalError::TooManyDecimals => OrderError::InvalidTick,
        DecimalError::OutOfRange => OrderError::PriceOutOfRange,
        DecimalError::Malformed => OrderError::invalid("price", e.to_string()),
    })
}

fn check_size(size: &str, market_min: Size) -> Result<Size, OrderError> {
    let size = size
        .parse::<Size>()
        .map_err(|e| OrderError::invalid("size", e.to_string()))?;
    // A market minimum of zero still refuses an empty order.
    let min = market_min.max(Size::from_hundredths(1));
    if size < min {
        return Err(OrderError::SizeTooSmall(min));
    }
    Ok(size)
}

fn check_amounts(
    item: &OrderItem,
    price: Ticks,
    size: Size,
    decimals: u8,
) -> Result<(), OrderError> {
    let expected = signed_amounts(item.side, price, size, decimals)
        .map_err(|e| OrderError::invalid("size", e.to_string()))?;
    if expected.maker != item.maker_amount.0 || expected.taker != item.taker_amount.0 {
        return Err(OrderError::DriftedAmounts);
    }
    Ok(())
}

fn check_expiration(item: &OrderItem, now: Timestamp) -> Result<(), OrderError> {
    let expiration = item.expiration.0;
    if expiration.is_zero() {
        return match item.order_type {
            OrderType::Gtd => Err(OrderError::invalid(
                "expiration",
                "is required (non-zero Unix seconds) for GTD orders",
            )),
            OrderType::Limit | OrderType::Market => Ok(()),
        };
    }
    // In the future means strictly after the current second.
    let now_secs = u64::try_from(now.millis().div_euclid(1000)).unwrap_or(0);
    if expiration <= U256::from(now_secs) {
        return Err(OrderError::Expired);
    }
    Ok(())
}

fn signed_struct(item: &OrderItem) -> Order {
    Order {
        salt: item.salt.0,
        maker: item.maker().address(),
        signer: item.signer.address(),
        taker: item.taker.address(),
        tokenId: item.token_id.0,
        makerAmount: item.maker_amount.0,
        takerAmount: item.taker_amount.0,
        expiration: item.expiration.0,
        nonce: item.nonce.0,
        feeRateBps: U256::from(item.fee_rate_bps),
        side: item.side.as_u8(),
        signatureType: SIGNATURE_TYPE_EOA,
    }
}

fn check_signature(item: &OrderItem, hash: &OrderHash) -> Result<[u8; 65], OrderError> {
    let bytes = &item.signature.0;
    let signature: [u8; 65] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| OrderError::BadSignature(SignatureError::Length(bytes.len())))?;
    let recovered = recover_signer(&hash.0, &signature).map_err(OrderError::BadSignature)?;
    if recovered != item.signer.address() {
        return Err(OrderError::NotSignedBySigner(item.signer));
    }
    Ok(signature)
}

fn check_wallets(item: &OrderItem, wallet: Wallet) -> Result<(), OrderError> {
    if item.maker() != item.signer {
        return Err(OrderError::MakerIsNotSigner);
    }
    if item.signer != wallet {
        return Err(OrderError::SignerIsNotCaller(wallet));
    }
    Ok(())
}

fn check_fee(item: &OrderItem, market: &MarketTerms) -> Result<(), OrderError> {
    if item.fee_rate_bps != u64::from(market.fee_rate_bps) {
        return Err(OrderError::invalid(
            "fee_rate_bps",
            format!("must be {}, the market's fee rate", market.fee_rate_bps),
        ));
    }
    Ok(())
}
