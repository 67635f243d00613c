//! Orders built by the bot SDK (`client`) are the orders the gateway accepts: the signature recovers to the
//! wallet, the amounts follow the contract's formulas, and the JSON item passes the server's
//! own parser and validation pipeline (`orders::OrderItem::from_json`, `orders::validate`).

use std::collections::HashMap;

use alloy_primitives::{hex, keccak256, Address, B256, U256};
use client::{
    ClientError, MarketInfo, OrderBuilder, OrderSpec, PrivateKey, SignedOrder, TokenInfo,
};
use orders::{validate, Intake, MarketTerms, OrderItem, TokenTerms};
use serde_json::Value;
use signing::eip712::{domain_separator, order_digest, recover_signer, DomainCache, Order};
use types::{
    ChainId, ConditionId, ContractAddress, ErrorCode, MarketKey, MarketStatus, OrderType, Outcome,
    Side, Size, Ticks, Timestamp, TokenId, Wallet,
};

const NOW_SECS: u64 = 1_800_000_000;
const EXCHANGE: Address = Address::repeat_byte(0x5c);

fn key(label: &str) -> PrivateKey {
    PrivateKey::from_bytes(keccak256(format!("client-test-key:{label}")).0).unwrap()
}

fn market(yes_decimals: u8, no_decimals: u8, fee_rate_bps: u32) -> MarketInfo {
    MarketInfo {
        condition_id: ConditionId(B256::repeat_byte(0x11)),
        chain_id: ChainId(56),
        tokens: vec![
            TokenInfo {
                token_id: TokenId(U256::from(1001u64)),
                outcome: Outcome::Yes,
                decimals: yes_decimals,
            },
            TokenInfo {
                token_id: TokenId(U256::from(1002u64)),
                outcome: Outcome::No,
                decimals: no_decimals,
            },
        ],
        fee_rate_bps,
        ctf_exchange_address: ContractAddress(EXCHANGE),
    }
}

/// The server's view of the same market, as the gateway's catalog would give it.
fn lookup(info: &MarketInfo) -> HashMap<MarketKey, MarketTerms> {
    let key = MarketKey {
        condition_id: info.condition_id,
        chain_id: info.chain_id,
    };
    let terms = |t: &TokenInfo| TokenTerms {
        token_id: t.token_id,
        outcome: t.outcome,
        decimals: t.decimals,
    };
    let mut m = HashMap::new();
    m.insert(
        key,
        MarketTerms {
            key,
            status: MarketStatus::Open,
            ctf_exchange_address: info.ctf_exchange_address,
            tokens: [terms(&info.tokens[0]), terms(&info.tokens[1])],
            fee_rate_bps: info.fee_rate_bps,
            min_order_size: Size::from_hundredths(1),
        },
    );
    m
}

fn ticks(t: u8) -> Ticks {
    Ticks::new(t).unwrap()
}

fn spec(outcome: Outcome, side: Side, price: u8, hundredths: u64) -> OrderSpec {
    OrderSpec::limit(
        outcome,
        side,
        ticks(price),
        Size::from_hundredths(hundredths),
    )
}

/// The contract's formulas in plain u128, independent of `signing::amounts`:
/// `None` when the size has no exact number of base units.
fn reference_amounts(side: Side, t: u8, hundredths: u64, decimals: u8) -> Option<(u128, u128)> {
    let scaled = u128::from(hundredths) * 10u128.pow(u32::from(decimals));
    if scaled % 100 != 0 {
        return None;
    }
    let shares = scaled / 100;
    let notional = shares * u128::from(t);
    Some(match side {
        Side::Buy => (notional.div_ceil(100), shares),
        Side::Sell => (shares, notional / 100),
    })
}

fn json_item(order: &SignedOrder) -> Value {
    serde_json::to_value(order).unwrap()
}

fn server_validates(
    order: &SignedOrder,
    info: &MarketInfo,
    wallet: Wallet,
) -> Result<orders::ValidatedOrder, orders::OrderError> {
    let markets = lookup(info);
    let domains = DomainCache::new();
    let intake = Intake {
        markets: &markets,
        domains: &domains,
        wallet,
        now: Timestamp(i64::try_from(NOW_SECS).unwrap() * 1000),
    };
    let item = OrderItem::from_json(&json_item(order))?;
    validate(&item, &intake)
}

#[test]
fn the_signature_recovers_to_the_clients_wallet() {
    let info = market(18, 18, 0);
    for label in ["alice", "bob", "carol"] {
        let k = key(label);
        for side in [Side::Buy, Side::Sell] {
            let order = OrderBuilder::new(&k, &info)
                .build(&spec(Outcome::Yes, side, 55, 1_000))
                .unwrap();
            let sig = hex::decode(order.signature.trim_start_matches("0x")).unwrap();
            assert_eq!(sig.len(), 65);
            assert!(sig[64] == 27 || sig[64] == 28, "v = {}", sig[64]);
            assert_eq!(
                recover_signer(&order.hash.0, &sig),
                Ok(k.wallet().address())
            );
        }
    }
}

#[test]
fn the_hash_is_the_eip712_digest_of_the_signed_fields() {
    let k = key("alice");
    let info = market(18, 6, 150);
    let order = OrderBuilder::new(&k, &info)
        .nonce(U256::from(7u8))
        .build_with_salt(
            &spec(Outcome::No, Side::Sell, 40, 250),
            U256::from(12345u64),
        )
        .unwrap();
    let expected = Order {
        salt: U256::from(12345u64),
        maker: k.wallet().address(),
        signer: k.wallet().address(),
        taker: Address::ZERO,
        tokenId: U256::from(1002u64),
        makerAmount: U256::from(2_500_000u64),
        takerAmount: U256::from(1_000_000u64),
        expiration: U256::ZERO,
        nonce: U256::from(7u8),
        feeRateBps: U256::from(150u16),
        side: 1,
        signatureType: 0,
    };
    let digest = order_digest(
        domain_separator(ChainId(56), ContractAddress(EXCHANGE)),
        &expected,
    );
    assert_eq!(order.hash, digest);
}

#[test]
fn amounts_equal_the_contract_formulas_for_buy_and_sell() {
    let k = key("alice");
    let mut checked = 0;
    for decimals in [0u8, 1, 2, 6, 18] {
        let info = market(decimals, decimals, 0);
        for side in [Side::Buy, Side::Sell] {
            for t in [1u8, 7, 33, 50, 55, 99, 100] {
                for h in [1u64, 10, 133, 1_000, 1_001, 2_550, 123_456_789] {
                    let built = OrderBuilder::new(&k, &info).build(&spec(Outcome::Yes, side, t, h));
                    match (reference_amounts(side, t, h, decimals), built) {
                        (Some((maker, taker)), Ok(order)) => {
                            assert_eq!(
                                order.maker_amount.0,
                                U256::from(maker),
                                "{side:?} {t} {h} {decimals}"
                            );
                            assert_eq!(
                                order.taker_amount.0,
                                U256::from(taker),
                                "{side:?} {t} {h} {decimals}"
                            );
                            let item = json_item(&order);
                            assert_eq!(item["maker_amount"], maker.to_string());
                            assert_eq!(item["taker_amount"], taker.to_string());
                            checked += 1;
                        }
                        (None, Err(ClientError::Invalid { field, .. })) => {
                            assert_eq!(field, "size")
                        }
                        (reference, built) => {
                            panic!("{side:?} {t} {h} {decimals}: reference {reference:?}, built {built:?}")
                        }
                    }
                }
            }
        }
    }
    // Representable sizes: 1 at 0 decimals (10.00), 3 at 1 decimal, all 7 from 2 decimals up;
    // the other combinations must have been refused as `size` errors above.
    assert_eq!(checked, (1 + 3 + 7 * 3) * 2 * 7);
}

#[test]
fn the_json_item_has_the_wire_shape_of_the_contract() {
    let k = key("alice");
    let info = market(18, 18, 0);
    let order = OrderBuilder::new(&k, &info)
        .build(&spec(Outcome::Yes, Side::Buy, 55, 1_000))
        .unwrap();
    let item = json_item(&order);
    let obj = item.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "chain_id",
            "condition_id",
            "expiration",
            "fee_rate_bps",
            "maker",
            "maker_amount",
            "nonce",
            "order_type",
            "price",
            "salt",
            "side",
            "signature",
            "signature_type",
            "signer",
            "size",
            "taker",
            "taker_amount",
            "token_id"
        ]
    );
    assert_eq!(item["side"], "BUY");
    assert_eq!(item["price"], "0.55");
    assert_eq!(item["size"], "10.00");
    assert_eq!(item["order_type"], "LIMIT");
    assert_eq!(item["chain_id"], 56);
    assert_eq!(item["fee_rate_bps"], 0);
    assert_eq!(item["signature_type"], 0);
    assert_eq!(item["token_id"], "1001");
    assert_eq!(item["nonce"], "0");
    assert_eq!(item["expiration"], "0");
    assert_eq!(item["taker"], format!("0x{}", "0".repeat(40)));
    assert_eq!(item["maker"], k.wallet().to_string());
    assert_eq!(item["signer"], k.wallet().to_string());
    assert_eq!(item["maker_amount"], "5500000000000000000");
    assert_eq!(item["taker_amount"], "10000000000000000000");
    let salt = item["salt"].as_str().unwrap();
    assert!(
        !salt.is_empty() && salt.bytes().all(|b| b.is_ascii_digit()),
        "{salt}"
    );
    let sig = item["signature"].as_str().unwrap();
    assert!(sig.starts_with("0x") && sig.len() == 132, "{sig}");
}

#[test]
fn salts_are_random_so_identical_orders_get_distinct_hashes() {
    let k = key("alice");
    let info = market(18, 18, 0);
    let s = spec(Outcome::Yes, Side::Buy, 55, 1_000);
    let a = OrderBuilder::new(&k, &info).build(&s).unwrap();
    let b = OrderBuilder::new(&k, &info).build(&s).unwrap();
    assert_ne!(a.salt, b.salt);
    assert_ne!(a.hash, b.hash);
}

#[test]
fn the_server_parses_and_validates_what_the_client_signs() {
    let k = key("alice");
    for (yes_dec, no_dec, fee) in [(18u8, 18u8, 0u32), (6, 6, 150), (18, 2, 25)] {
        let info = market(yes_dec, no_dec, fee);
        for outcome in [Outcome::Yes, Outcome::No] {
            for side in [Side::Buy, Side::Sell] {
                for (t, h) in [(1u8, 1u64), (55, 1_000), (99, 133), (100, 5_000_000)] {
                    let order = OrderBuilder::new(&k, &info)
                        .nonce(U256::from(3u8))
                        .build(&spec(outcome, side, t, h))
                        .unwrap();
                    let v = server_validates(&order, &info, k.wallet())
                        .unwrap_or_else(|e| panic!("{outcome:?} {side:?} {t} {h}: {e}"));
                    assert_eq!(v.hash, order.hash);
                    assert_eq!(v.outcome, outcome);
                    assert_eq!(v.side, side);
                    assert_eq!((v.price, v.size), (order.price, order.size));
                    assert_eq!(v.maker(), k.wallet());
                }
            }
        }
    }
}

#[test]
fn a_gtd_order_carries_its_expiration_through_the_server_pipeline() {
    let k = key("alice");
    let info = market(18, 18, 0);
    let gtd = OrderSpec {
        order_type: OrderType::Gtd,
        expiration: NOW_SECS + 60,
        ..spec(Outcome::Yes, Side::Sell, 60, 500)
    };
    let order = OrderBuilder::new(&k, &info).build(&gtd).unwrap();
    assert_eq!(json_item(&order)["order_type"], "GTD");
    assert_eq!(json_item(&order)["expiration"], (NOW_SECS + 60).to_string());
    let v = server_validates(&order, &info, k.wallet()).unwrap();
    assert_eq!(v.order_type, OrderType::Gtd);
    assert_eq!(v.signed.expiration, U256::from(NOW_SECS + 60));

    let no_expiry = OrderSpec {
        expiration: 0,
        ..gtd
    };
    match OrderBuilder::new(&k, &info).build(&no_expiry) {
        Err(ClientError::Invalid { field, .. }) => assert_eq!(field, "expiration"),
        other => panic!("expected an expiration error, got {other:?}"),
    }
}

/// The agreement above means something: the same pipeline refuses a tampered item, and an
/// order submitted by another wallet.
#[test]
fn the_server_refuses_tampered_items_and_other_wallets() {
    let k = key("alice");
    let info = market(18, 18, 0);
    let order = OrderBuilder::new(&k, &info)
        .build(&spec(Outcome::Yes, Side::Buy, 55, 1_000))
        .unwrap();

    let mut drifted = order.clone();
    drifted.maker_amount.0 -= U256::from(1u8);
    let err = server_validates(&drifted, &info, k.wallet()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DriftedAmounts);

    let mut repriced = order.clone();
    repriced.price = ticks(56);
    let err = server_validates(&repriced, &info, k.wallet()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DriftedAmounts);

    let mut resalted = order.clone();
    resalted.salt += U256::from(1u8);
    let err = server_validates(&resalted, &info, k.wallet()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSignature);

    let err = server_validates(&order, &info, key("mallory").wallet()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::WalletMismatch);
}

#[test]
fn an_outcome_the_market_lacks_is_refused_before_signing() {
    let k = key("alice");
    let mut info = market(18, 18, 0);
    info.tokens.retain(|t| t.outcome == Outcome::Yes);
    match OrderBuilder::new(&k, &info).build(&spec(Outcome::No, Side::Buy, 55, 1_000)) {
        Err(ClientError::Invalid { field, .. }) => assert_eq!(field, "outcome"),
        other => panic!("expected an outcome error, got {other:?}"),
    }
}
