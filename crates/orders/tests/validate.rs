//! The per-order pipeline of docs/api.md 6.2: one test per rule, named after it.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;

use alloy_primitives::{Address, B256, U256};
use common::{hex0x, TestKey};
use orders::{
    validate, validate_batch, InlineError, Intake, MarketTerms, OrderError, OrderItem, OrderType,
    TokenTerms, ValidatedOrder,
};
use serde_json::{json, Value};
use signing::eip712::{domain_separator, order_digest, DomainCache, Order};
use types::{
    ChainId, ConditionId, ContractAddress, ErrorCode, MarketKey, MarketStatus, Outcome, Side, Size,
    Timestamp, TokenId,
};

const NOW_SECS: u64 = 1_800_000_000;
const YES: u64 = 1001;
const NO: u64 = 1002;
const EXCHANGE: Address = Address::repeat_byte(0x5c);

fn open_market() -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x11)),
        chain_id: ChainId(56),
    }
}

fn market_with(key: MarketKey, status: MarketStatus, fee: u32, first_token: u64) -> MarketTerms {
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
        fee_rate_bps: fee,
        min_order_size: Size::from_hundredths(500),
    }
}

/// OPEN (fee 0), one market per other status, one OPEN market with a 150 bps fee.
fn markets() -> HashMap<MarketKey, MarketTerms> {
    let mut m = HashMap::new();
    m.insert(
        open_market(),
        market_with(open_market(), MarketStatus::Open, 0, YES),
    );
    for (i, status) in MarketStatus::ALL.into_iter().enumerate() {
        let key = MarketKey {
            condition_id: ConditionId(B256::repeat_byte(0x20 + i as u8)),
            chain_id: ChainId(56),
        };
        m.insert(key, market_with(key, status, 0, 2000 + 10 * i as u64));
    }
    m.insert(
        fee_market(),
        market_with(fee_market(), MarketStatus::Open, 150, 3001),
    );
    m
}

fn status_market(status: MarketStatus) -> MarketKey {
    let i = MarketStatus::ALL.iter().position(|s| *s == status).unwrap();
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x20 + i as u8)),
        chain_id: ChainId(56),
    }
}

fn fee_market() -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(0x33)),
        chain_id: ChainId(56),
    }
}

/// The contract's formula, written out independently of the crate.
fn formula(side: Side, ticks: u64, hundredths: u64, decimals: u32) -> (U256, U256) {
    let shares = U256::from(hundredths) * U256::from(10u8).pow(U256::from(decimals - 2));
    let notional = shares * U256::from(ticks);
    let hundred = U256::from(100u8);
    match side {
        Side::Buy => ((notional + hundred - U256::from(1u8)) / hundred, shares),
        Side::Sell => (shares, notional / hundred),
    }
}

/// An order as a client builds it before signing.
#[derive(Clone)]
struct Draft {
    market: MarketKey,
    token_id: U256,
    side: Side,
    price: String,
    size: String,
    order_type: Option<&'static str>,
    salt: U256,
    maker: Option<Address>,
    signer: Address,
    taker: Address,
    maker_amount: U256,
    taker_amount: U256,
    expiration: U256,
    nonce: U256,
    fee_rate_bps: u64,
    signature_type: u64,
}

impl Draft {
    /// 10 YES shares at 0.55 on the open market, with the right amounts.
    fn new(key: &TestKey, side: Side) -> Draft {
        let (maker_amount, taker_amount) = formula(side, 55, 1_000, 18);
        Draft {
            market: open_market(),
            token_id: U256::from(YES),
            side,
            price: "0.55".into(),
            size: "10".into(),
            order_type: None,
            salt: U256::from(424242u64),
            maker: None,
            signer: key.address,
            taker: Address::ZERO,
            maker_amount,
            taker_amount,
            expiration: U256::ZERO,
            nonce: U256::ZERO,
            fee_rate_bps: 0,
            signature_type: 0,
        }
    }

    fn with_amounts(mut self, ticks: u64, hundredths: u64, decimals: u32) -> Draft {
        (self.maker_amount, self.taker_amount) = formula(self.side, ticks, hundredths, decimals);
        self
    }

    fn order(&self) -> Order {
        Order {
            salt: self.salt,
            maker: self.maker.unwrap_or(self.signer),
            signer: self.signer,
            taker: self.taker,
            tokenId: self.token_id,
            makerAmount: self.maker_amount,
            takerAmount: self.taker_amount,
            expiration: self.expiration,
            nonce: self.nonce,
            feeRateBps: U256::from(self.fee_rate_bps),
            side: self.side.as_u8(),
            signatureType: u8::try_from(self.signature_type).unwrap_or(u8::MAX),
        }
    }

    fn digest(&self) -> B256 {
        let sep = domain_separator(self.market.chain_id, ContractAddress(EXCHANGE));
        order_digest(sep, &self.order()).0
    }

    fn json(&self, signature: &[u8]) -> Value {
        let mut v = json!({
            "condition_id": self.market.condition_id.to_string(),
            "chain_id": self.market.chain_id.0,
            "token_id": self.token_id.to_string(),
            "side": self.side.as_str(),
            "price": self.price,
            "size": self.size,
            "salt": self.salt.to_string(),
            "signer": self.signer.to_checksum(None),
            "taker": self.taker.to_string(),
            "maker_amount": self.maker_amount.to_string(),
            "taker_amount": self.taker_amount.to_string(),
            "expiration": self.expiration.to_string(),
            "nonce": self.nonce.to_string(),
            "fee_rate_bps": self.fee_rate_bps,
            "signature_type": self.signature_type,
            "signature": hex0x(signature),
        });
        if let Some(t) = self.order_type {
            v["order_type"] = json!(t);
        }
        if let Some(m) = self.maker {
            v["maker"] = json!(m.to_string());
        }
        v
    }

    fn signed_by(&self, key: &TestKey) -> Value {
        self.json(&key.sign(&self.digest()))
    }
}

struct World {
    markets: HashMap<MarketKey, MarketTerms>,
    domains: DomainCache,
    alice: TestKey,
    bob: TestKey,
}

impl World {
    fn new() -> World {
        World {
            markets: markets(),
            domains: DomainCache::new(),
            alice: TestKey::named("alice"),
            bob: TestKey::named("bob"),
        }
    }

    /// Validates as alice, at NOW_SECS + 0.5 s.
    fn check(&self, item: &Value) -> Result<ValidatedOrder, OrderError> {
        let intake = Intake {
            markets: &self.markets,
            domains: &self.domains,
            wallet: self.alice.wallet(),
            now: Timestamp(NOW_SECS as i64 * 1000 + 500),
        };
        OrderItem::from_json(item).and_then(|i| validate(&i, &intake))
    }

    fn refusal(&self, item: &Value) -> InlineError {
        match self.check(item) {
            Ok(o) => panic!("accepted an order that should be refused: {o:?}"),
            Err(e) => InlineError::from(&e),
        }
    }
}

fn assert_validation_error(e: &InlineError, field: &str) {
    assert_eq!(e.code, ErrorCode::ValidationError, "{}", e.message);
    assert!(
        e.message.starts_with(&format!("{field}: ")),
        "message should name {field}: {}",
        e.message
    );
}

#[test]
fn valid_buy_order_is_accepted_with_its_eip712_digest_as_hash() {
    let w = World::new();
    let draft = Draft::new(&w.alice, Side::Buy);
    let order = w.check(&draft.signed_by(&w.alice)).expect("valid order");
    assert_eq!(order.hash.0, draft.digest());
    assert_eq!(order.market, open_market());
    assert_eq!(order.outcome, Outcome::Yes);
    assert_eq!(order.side, Side::Buy);
    assert_eq!(order.order_type, OrderType::Limit);
    assert_eq!(order.price.get(), 55);
    assert_eq!(order.size, Size::from_hundredths(1_000));
    assert_eq!(order.maker(), w.alice.wallet());
    assert_eq!(order.token_id(), TokenId(U256::from(YES)));
    assert_eq!(order.signed, draft.order());
}

#[test]
fn valid_sell_order_on_the_no_token_uses_that_tokens_decimals() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Sell).with_amounts(37, 1_234, 6);
    draft.token_id = U256::from(NO);
    draft.price = "0.37".into();
    draft.size = "12.34".into();
    let order = w.check(&draft.signed_by(&w.alice)).expect("valid order");
    assert_eq!(order.outcome, Outcome::No);
    assert_eq!(order.signed.makerAmount, U256::from(12_340_000u64));
    assert_eq!(order.signed.takerAmount, U256::from(4_565_800u64));
}

#[test]
fn maker_defaults_to_signer() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Buy);
    let implicit = w.check(&draft.signed_by(&w.alice)).expect("valid");
    draft.maker = Some(w.alice.address);
    let explicit = w.check(&draft.signed_by(&w.alice)).expect("valid");
    assert_eq!(implicit.hash, explicit.hash);
}

#[test]
fn signature_with_v_0_or_1_is_accepted_like_27_or_28() {
    let w = World::new();
    let draft = Draft::new(&w.alice, Side::Buy);
    let mut sig = w.alice.sign(&draft.digest());
    sig[64] -= 27;
    let order = w.check(&draft.json(&sig)).expect("v 0/1 accepted");
    assert_eq!(order.hash.0, draft.digest());
}

#[test]
fn malformed_fields_are_validation_errors_naming_the_field() {
    let w = World::new();
    let good = Draft::new(&w.alice, Side::Buy).signed_by(&w.alice);
    let cases: &[(&str, Value)] = &[
        ("condition_id", json!("0x1234")),
        ("chain_id", json!("56")),
        ("chain_id", json!(0)),
        ("chain_id", json!(9_223_372_036_854_775_808u64)),
        ("chain_id", json!(null)),
        ("token_id", json!("-1")),
        ("side", json!("buy")),
        ("order_type", json!("FOK")),
        ("salt", json!(1)),
        ("salt", json!("1.5")),
        ("signer", json!("0xnotanaddress")),
        ("maker", json!("0x1")),
        ("taker", json!(null)),
        ("maker", json!(null)),
        ("order_type", json!(null)),
        ("signature_type", json!(null)),
        ("maker_amount", json!("1e18")),
        ("expiration", json!("-1")),
        (
            "nonce",
            json!("115792089237316195423570985008687907853269984665640564039457584007913129639936"),
        ),
        ("fee_rate_bps", json!(-1)),
        ("signature", json!("0xzz")),
        ("signature", json!("abcd")),
        ("price", json!(0.55)),
        ("size", json!(10)),
    ];
    for (field, value) in cases {
        let mut item = good.clone();
        item[*field] = value.clone();
        assert_validation_error(&w.refusal(&item), field);
    }
    let mut item = good.clone();
    item.as_object_mut().unwrap().remove("signer");
    let e = w.refusal(&item);
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(e.message.contains("signer"), "{}", e.message);
}

#[test]
fn unknown_market_is_market_not_found() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.market.condition_id = ConditionId(B256::repeat_byte(0xee));
    assert_eq!(
        w.refusal(&draft.signed_by(&w.alice)).code,
        ErrorCode::MarketNotFound
    );
    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.market.chain_id = ChainId(97);
    assert_eq!(
        w.refusal(&draft.signed_by(&w.alice)).code,
        ErrorCode::MarketNotFound
    );
}

#[test]
fn market_that_is_not_open_is_market_not_active() {
    let w = World::new();
    for status in MarketStatus::ALL {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.market = status_market(status);
        draft.token_id = w.markets[&draft.market].tokens[0].token_id.0;
        let result = w.check(&draft.signed_by(&w.alice));
        if status == MarketStatus::Open {
            assert!(result.is_ok(), "{result:?}");
        } else {
            let e = InlineError::from(&result.expect_err("not open"));
            assert_eq!(e.code, ErrorCode::MarketNotActive, "{status}");
            assert!(e.message.contains(status.as_str()), "{}", e.message);
        }
    }
}

#[test]
fn token_that_is_not_the_markets_is_a_validation_error_naming_token_id() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.token_id = U256::from(3001u64); // the fee market's YES token
    assert_validation_error(&w.refusal(&draft.signed_by(&w.alice)), "token_id");
}

#[test]
fn price_outside_0_01_to_1_00_is_price_out_of_range() {
    let w = World::new();
    for price in ["0", "0.00", "1.01", "2", "100"] {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.price = price.into();
        let e = w.refusal(&draft.signed_by(&w.alice));
        assert_eq!(e.code, ErrorCode::PriceOutOfRange, "{price}");
    }
    for price in ["0.01", "1", "1.00"] {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.price = price.into();
        let ticks = if price == "0.01" { 1 } else { 100 };
        let draft = draft.with_amounts(ticks, 1_000, 18);
        assert!(w.check(&draft.signed_by(&w.alice)).is_ok(), "{price}");
    }
}

#[test]
fn price_with_more_than_2_decimals_is_invalid_tick_never_rounded() {
    let w = World::new();
    for price in ["0.555", "0.550", "0.001"] {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.price = price.into();
        assert_eq!(
            w.refusal(&draft.signed_by(&w.alice)).code,
            ErrorCode::InvalidTick,
            "{price}"
        );
    }
    for price in ["abc", "", ".5", "0,55", "-0.5"] {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.price = price.into();
        assert_validation_error(&w.refusal(&draft.signed_by(&w.alice)), "price");
    }
}

#[test]
fn size_with_more_than_2_decimals_is_a_validation_error_naming_size() {
    let w = World::new();
    for size in ["10.001", "10.000", "abc", "1e3"] {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.size = size.into();
        assert_validation_error(&w.refusal(&draft.signed_by(&w.alice)), "size");
    }
}

#[test]
fn size_below_the_markets_minimum_is_size_too_small() {
    let w = World::new();
    for (size, hundredths) in [("4.99", 499), ("0", 0), ("0.01", 1)] {
        let mut draft = Draft::new(&w.alice, Side::Buy).with_amounts(55, hundredths, 18);
        draft.size = size.into();
        let e = w.refusal(&draft.signed_by(&w.alice));
        assert_eq!(e.code, ErrorCode::SizeTooSmall, "{size}");
        assert!(e.message.contains("5.00"), "{}", e.message);
    }
    let mut draft = Draft::new(&w.alice, Side::Buy).with_amounts(55, 500, 18);
    draft.size = "5".into();
    assert!(w.check(&draft.signed_by(&w.alice)).is_ok());
}

#[test]
fn amounts_other_than_the_formulas_are_drifted_amounts() {
    let w = World::new();
    let one = U256::from(1u8);
    for side in [Side::Buy, Side::Sell] {
        let base = Draft::new(&w.alice, side);
        let mut variants = Vec::new();
        let mut d = base.clone();
        d.maker_amount += one;
        variants.push(d);
        let mut d = base.clone();
        d.maker_amount -= one;
        variants.push(d);
        let mut d = base.clone();
        d.taker_amount += one;
        variants.push(d);
        let mut d = base.clone();
        std::mem::swap(&mut d.maker_amount, &mut d.taker_amount);
        variants.push(d);
        for d in variants {
            let e = w.refusal(&d.signed_by(&w.alice));
            assert_eq!(e.code, ErrorCode::DriftedAmounts);
            assert_eq!(e.message, "Drifted signed amounts");
        }
    }
}

#[test]
fn both_sides_accept_their_exact_formula_amounts_on_a_6_decimal_token() {
    // 5.33 NO shares at 0.37: 5,330,000 token units against 1,972,100 collateral units.
    // (Rounding itself is pinned exhaustively in the amounts module's tests.)
    let w = World::new();
    for side in [Side::Buy, Side::Sell] {
        let mut draft = Draft::new(&w.alice, side).with_amounts(37, 533, 6);
        draft.token_id = U256::from(NO);
        draft.price = "0.37".into();
        draft.size = "5.33".into();
        let order = w.check(&draft.signed_by(&w.alice)).expect("exact amounts");
        let collateral = match side {
            Side::Buy => order.signed.makerAmount,
            Side::Sell => order.signed.takerAmount,
        };
        assert_eq!(collateral, U256::from(1_972_100u64));
    }
}

#[test]
fn gtd_order_with_expiration_0_is_a_validation_error_naming_expiration() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.order_type = Some("GTD");
    assert_validation_error(&w.refusal(&draft.signed_by(&w.alice)), "expiration");
}

#[test]
fn expiration_not_in_the_future_is_order_expired() {
    let w = World::new();
    for order_type in [Some("GTD"), Some("LIMIT"), None, Some("MARKET")] {
        for past in [1, NOW_SECS - 1, NOW_SECS] {
            let mut draft = Draft::new(&w.alice, Side::Buy);
            draft.order_type = order_type;
            draft.expiration = U256::from(past);
            let e = w.refusal(&draft.signed_by(&w.alice));
            assert_eq!(e.code, ErrorCode::OrderExpired, "{order_type:?} {past}");
        }
    }
}

#[test]
fn gtd_order_expiring_in_the_future_is_accepted_with_no_minimum_lead() {
    let w = World::new();
    for future in [U256::from(NOW_SECS + 1), U256::MAX] {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.order_type = Some("GTD");
        draft.expiration = future;
        let order = w.check(&draft.signed_by(&w.alice)).expect("future GTD");
        assert_eq!(order.order_type, OrderType::Gtd);
        assert_eq!(order.signed.expiration, future);
    }
}

#[test]
fn signature_type_other_than_0_is_a_validation_error_naming_signature_type() {
    let w = World::new();
    for t in [1u64, 2, 256] {
        let mut draft = Draft::new(&w.alice, Side::Buy);
        draft.signature_type = t;
        assert_validation_error(&w.refusal(&draft.signed_by(&w.alice)), "signature_type");
    }
}

#[test]
fn signature_by_another_key_is_invalid_signature() {
    let w = World::new();
    let draft = Draft::new(&w.alice, Side::Buy);
    let e = w.refusal(&draft.signed_by(&w.bob));
    assert_eq!(e.code, ErrorCode::InvalidSignature);
}

#[test]
fn signature_over_other_fields_is_invalid_signature() {
    let w = World::new();
    let draft = Draft::new(&w.alice, Side::Buy);
    let sig = w.alice.sign(&draft.digest());
    let mut changed = draft.clone();
    changed.nonce = U256::from(1u8);
    assert_eq!(
        w.refusal(&changed.json(&sig)).code,
        ErrorCode::InvalidSignature
    );
    let mut changed = draft.clone();
    changed.salt = U256::from(1u8);
    assert_eq!(
        w.refusal(&changed.json(&sig)).code,
        ErrorCode::InvalidSignature
    );
}

#[test]
fn a_private_order_is_a_validation_error_even_when_signed() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.taker = w.bob.address;
    let e = w.refusal(&draft.signed_by(&w.alice));
    assert_validation_error(&e, "taker");
    assert!(
        e.message.contains("private orders are not supported"),
        "{}",
        e.message
    );
}

#[test]
fn high_s_bad_v_and_wrong_length_signatures_are_invalid_signature() {
    let w = World::new();
    let draft = Draft::new(&w.alice, Side::Buy);
    let sig = w.alice.sign(&draft.digest());
    let n = U256::from_str_radix(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
        16,
    )
    .unwrap();
    let mut high_s = sig;
    let s = U256::from_be_slice(&sig[32..64]);
    high_s[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    high_s[64] = if sig[64] == 27 { 28 } else { 27 };
    let mut bad_v = sig;
    bad_v[64] = 29;
    let cases: Vec<Vec<u8>> = vec![
        high_s.to_vec(),
        bad_v.to_vec(),
        sig[..64].to_vec(),
        [&sig[..], &[0u8]].concat(),
        Vec::new(),
    ];
    for bad in cases {
        let e = w.refusal(&draft.json(&bad));
        assert_eq!(e.code, ErrorCode::InvalidSignature, "{}", e.message);
        assert!(e.message.starts_with("signature: "), "{}", e.message);
    }
}

#[test]
fn signer_other_than_the_authenticated_wallet_is_wallet_mismatch() {
    let w = World::new();
    let draft = Draft::new(&w.bob, Side::Buy);
    let e = w.refusal(&draft.signed_by(&w.bob));
    assert_eq!(e.code, ErrorCode::WalletMismatch);
}

#[test]
fn maker_other_than_signer_is_wallet_mismatch() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.maker = Some(w.bob.address);
    let e = w.refusal(&draft.signed_by(&w.alice));
    assert_eq!(e.code, ErrorCode::WalletMismatch);
}

#[test]
fn fee_rate_other_than_the_markets_is_a_validation_error_naming_fee_rate_bps() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.fee_rate_bps = 150;
    let e = w.refusal(&draft.signed_by(&w.alice));
    assert_validation_error(&e, "fee_rate_bps");
    assert!(e.message.contains("must be 0"), "{}", e.message);

    let mut draft = Draft::new(&w.alice, Side::Buy);
    draft.market = fee_market();
    draft.token_id = U256::from(3001u64);
    assert_validation_error(&w.refusal(&draft.signed_by(&w.alice)), "fee_rate_bps");
    draft.fee_rate_bps = 150;
    assert!(w.check(&draft.signed_by(&w.alice)).is_ok());
}

#[test]
fn same_order_twice_in_a_batch_is_duplicate_order() {
    let w = World::new();
    let a = Draft::new(&w.alice, Side::Buy).signed_by(&w.alice);
    let mut other = Draft::new(&w.alice, Side::Buy);
    other.salt = U256::from(7u8);
    let b = other.signed_by(&w.alice);
    let intake = Intake {
        markets: &w.markets,
        domains: &w.domains,
        wallet: w.alice.wallet(),
        now: Timestamp(NOW_SECS as i64 * 1000),
    };
    // The same order with v 0/1 is the same order hash: still a duplicate.
    let mut a_low_v = a.clone();
    let mut sig = w.alice.sign(&Draft::new(&w.alice, Side::Buy).digest());
    sig[64] -= 27;
    a_low_v["signature"] = json!(hex0x(&sig));
    let results = validate_batch(&[a.clone(), b, a, json!("not an order"), a_low_v], &intake);
    let codes: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().map(|o| o.hash).map_err(OrderError::code))
        .collect();
    assert!(codes[0].is_ok() && codes[1].is_ok());
    assert_ne!(codes[0], codes[1]);
    assert_eq!(codes[2], Err(ErrorCode::DuplicateOrder));
    assert_eq!(codes[3], Err(ErrorCode::ValidationError));
    assert_eq!(codes[4], Err(ErrorCode::DuplicateOrder));
}

/// Everything wrong at once; fixing one defect at a time reveals the next, in the documented
/// order: shape, market, price, size, amounts, expiration, signature, wallet, fee.
#[test]
fn checks_run_in_the_documented_order() {
    let w = World::new();
    let expected = [
        (ErrorCode::ValidationError, "signature_type"),
        (ErrorCode::MarketNotFound, ""),
        (ErrorCode::MarketNotActive, ""),
        (ErrorCode::InvalidTick, ""),
        (ErrorCode::SizeTooSmall, ""),
        (ErrorCode::DriftedAmounts, ""),
        (ErrorCode::OrderExpired, ""),
        (ErrorCode::InvalidSignature, ""),
        (ErrorCode::WalletMismatch, ""),
        (ErrorCode::ValidationError, "fee_rate_bps"),
    ];
    let defects: [&dyn Fn(&mut Draft); 10] = [
        &|d| d.signature_type = 1,
        &|d| d.market.chain_id = ChainId(1),
        &|d| {
            d.market.condition_id = status_market(MarketStatus::Paused).condition_id;
            d.token_id = w.markets[&status_market(MarketStatus::Paused)].tokens[0]
                .token_id
                .0;
        },
        &|d| d.price = "0.555".into(),
        &|d| {
            d.size = "1".into();
            *d = d.clone().with_amounts(55, 100, 18);
        },
        &|d| d.maker_amount += U256::from(1u8),
        &|d| d.expiration = U256::from(NOW_SECS - 10),
        // The signature defect: bob signs alice's order (see `key` below).
        &|_| {},
        &|d| d.maker = Some(w.bob.address),
        &|d| d.fee_rate_bps = 1,
    ];
    for fixed in 0..=expected.len() {
        let mut d = Draft::new(&w.alice, Side::Buy);
        for defect in &defects[fixed..] {
            defect(&mut d);
        }
        let key = if fixed <= 7 { &w.bob } else { &w.alice };
        let result = w.check(&d.signed_by(key));
        match expected.get(fixed) {
            Some((code, field)) => {
                let e = InlineError::from(&result.expect_err("still defective"));
                assert_eq!(e.code, *code, "after fixing {fixed}: {}", e.message);
                if !field.is_empty() {
                    assert_validation_error(&e, field);
                }
            }
            None => assert!(result.is_ok(), "all fixed: {result:?}"),
        }
    }
}

#[tokio::test]
async fn a_validated_order_is_stored_with_every_signed_field_and_its_hash_only_once() {
    let w = World::new();
    let mut draft = Draft::new(&w.alice, Side::Sell);
    draft.order_type = Some("GTD");
    draft.expiration = U256::from(NOW_SECS + 3_600);
    draft.nonce = U256::MAX;
    let order = w.check(&draft.signed_by(&w.alice)).expect("valid");
    let now = Timestamp(NOW_SECS as i64 * 1000 + 500);
    let record = order.to_record(now);
    assert_eq!(record.status, types::OrderStatus::Open);
    assert_eq!(record.remaining, record.size);
    assert_eq!(record.wallet, w.alice.wallet());
    assert_eq!(record.signature, order.signature.to_vec());

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gw.db", dir.path().display());
    let store = store::Store::connect(&url, &store::StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(
        store
            .insert_orders(std::slice::from_ref(&record), None)
            .await
            .unwrap(),
        vec![true]
    );
    let stored = store.order(&order.hash).await.unwrap().expect("stored");
    assert_eq!(stored, record);
    // What was stored still hashes to the order hash and verifies.
    let signed = Order {
        salt: stored.salt,
        maker: stored.maker.address(),
        signer: stored.signer.address(),
        taker: stored.taker.address(),
        tokenId: stored.token_id.0,
        makerAmount: stored.maker_amount.0,
        takerAmount: stored.taker_amount.0,
        expiration: stored.expiration,
        nonce: stored.nonce,
        feeRateBps: U256::from(stored.fee_rate_bps),
        side: stored.side.as_u8(),
        signatureType: stored.signature_type,
    };
    let sep = domain_separator(stored.chain_id, ContractAddress(EXCHANGE));
    assert_eq!(order_digest(sep, &signed), order.hash);
    assert_eq!(
        signing::eip712::recover_signer(&order.hash.0, &stored.signature),
        Ok(w.alice.address)
    );
    assert_eq!(
        store.insert_orders(&[record], None).await.unwrap(),
        vec![false]
    );
    store.close().await;
}
