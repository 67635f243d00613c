//! The CPU one `POST /v1/orders` costs on an actix worker, without the database: parse the
//! body, validate a batch of 15 signed orders (digest and signer recovery included), build the
//! records and render the 200 response, exactly as the handler and `AcceptanceHandle::submit`
//! do it. Wall-clock time is meaningless on a shared two-core machine, so count instructions:
//!
//! ```text
//! cargo bench -p orders --bench place_path --no-run
//! valgrind --tool=callgrind --toggle-collect='*place_path::request_path*' \
//!     --callgrind-out-file=/tmp/place.cg <bench binary> --bench
//! callgrind_annotate --inclusive=yes /tmp/place.cg | head -40
//! ```
//!
//! Instructions per order = the `request_path` total / (`BENCH_ITERS` × 15). The inclusive
//! counts of `recover_signer` and `order_digest` are the secp256k1 + keccak share, which no
//! change to the request path can reduce. `BENCH_ITERS` (default 200) sets the repetitions.
//! Run by `cargo test` (no `--bench` argument) it runs once and only checks the result.

#[path = "../../signing/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::hint::black_box;

use alloy_primitives::{Address, U256};
use common::{hex0x, TestKey};
use orders::request::parse_place_body;
use orders::views::{AcceptedView, OrderResult, PlaceResponse};
use orders::{validate_batch, Intake, MarketTerms, TokenTerms};
use serde_json::json;
use signing::eip712::domain_separator;
use signing::eip712::{order_digest, DomainCache, Order};
use types::{
    ChainId, ConditionId, ContractAddress, MarketKey, MarketStatus, Outcome, Side, Size, Timestamp,
    TokenId,
};

const BATCH: usize = 15;

/// The gateway's dev seed market (crates/gateway/src/dev_seed.rs).
fn demo_market() -> MarketTerms {
    let key = MarketKey {
        condition_id: "0xde30000000000000000000000000000000000000000000000000000000000001"
            .parse::<ConditionId>()
            .expect("demo condition id"),
        chain_id: ChainId(56),
    };
    MarketTerms {
        key,
        status: MarketStatus::Open,
        ctf_exchange_address: "0x00000000000000000000000000000000000de301"
            .parse::<ContractAddress>()
            .expect("demo exchange"),
        tokens: [
            TokenTerms {
                token_id: TokenId(U256::from(1001u64)),
                outcome: Outcome::Yes,
                decimals: 18,
            },
            TokenTerms {
                token_id: TokenId(U256::from(1000u64)),
                outcome: Outcome::No,
                decimals: 18,
            },
        ],
        fee_rate_bps: 0,
        min_order_size: Size::from_hundredths(500),
    }
}

/// A body of 15 orders as a bot sends it: BUY and SELL at various prices, unique salts.
fn signed_body(key: &TestKey, market: &MarketTerms) -> Vec<u8> {
    let separator = domain_separator(market.key.chain_id, market.ctf_exchange_address);
    let orders: Vec<_> = (0..BATCH)
        .map(|i| {
            let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
            let ticks = 30 + i as u64;
            let shares = U256::from(10u64 + i as u64) * U256::from(10u64).pow(U256::from(18u8));
            let notional = shares * U256::from(ticks);
            let hundred = U256::from(100u8);
            let (maker_amount, taker_amount) = match side {
                Side::Buy => (notional.div_ceil(hundred), shares),
                Side::Sell => (shares, notional / hundred),
            };
            let salt = U256::from(0x5eed_0000_u64 + i as u64) << 96 | U256::from(i as u64);
            let token_id = market.tokens[i % 2].token_id;
            let order = Order {
                salt,
                maker: key.address,
                signer: key.address,
                taker: Address::ZERO,
                tokenId: token_id.0,
                makerAmount: maker_amount,
                takerAmount: taker_amount,
                expiration: U256::ZERO,
                nonce: U256::ZERO,
                feeRateBps: U256::ZERO,
                side: side.as_u8(),
                signatureType: 0,
            };
            let signature = key.sign(&order_digest(separator, &order).0);
            json!({
                "condition_id": market.key.condition_id.to_string(),
                "chain_id": market.key.chain_id.0,
                "token_id": token_id.to_string(),
                "side": side.as_str(),
                "price": format!("0.{ticks}"),
                "size": format!("{}", 10 + i),
                "order_type": "LIMIT",
                "salt": salt.to_string(),
                "maker": key.address.to_checksum(None),
                "signer": key.address.to_checksum(None),
                "taker": Address::ZERO.to_string(),
                "maker_amount": maker_amount.to_string(),
                "taker_amount": taker_amount.to_string(),
                "expiration": "0",
                "nonce": "0",
                "fee_rate_bps": 0,
                "signature_type": 0,
                "signature": hex0x(&signature),
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "orders": orders })).expect("a JSON body")
}

/// What the handler and `AcceptanceHandle::submit` do on the worker for one request without
/// an idempotency key, plus the rendering of the answer the writer sends back.
#[inline(never)]
fn request_path(
    body: &[u8],
    markets: &HashMap<MarketKey, MarketTerms>,
    domains: &DomainCache,
    key: &TestKey,
    now: Timestamp,
) -> Vec<u8> {
    let parsed = parse_place_body(body).expect("a valid body");
    let intake = Intake {
        markets,
        domains,
        wallet: key.wallet(),
        now,
    };
    let results = validate_batch(&parsed.orders, &intake);
    let records: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|o| o.to_record(now))
        .collect();
    let response = PlaceResponse {
        results: records
            .iter()
            .map(|r| OrderResult::Accepted(AcceptedView::from(r)))
            .collect(),
    };
    serde_json::to_vec(&response).expect("a rendered response")
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let iters: usize = if smoke {
        1
    } else {
        std::env::var("BENCH_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200)
    };
    let key = TestKey::named("place-path-bench");
    let market = demo_market();
    let body = signed_body(&key, &market);
    let markets = HashMap::from([(market.key, market)]);
    let domains = DomainCache::new();
    let now = Timestamp(1_800_000_000_000);

    let first = request_path(&body, &markets, &domains, &key, now);
    let rendered: serde_json::Value = serde_json::from_slice(&first).expect("response JSON");
    let results = rendered["results"].as_array().expect("results");
    assert_eq!(results.len(), BATCH, "every order accepted: {rendered}");
    assert!(results.iter().all(|r| r["status"] == "OPEN"), "{rendered}");

    for _ in 1..iters {
        black_box(request_path(
            black_box(&body),
            &markets,
            &domains,
            &key,
            now,
        ));
    }
    println!(
        "place_path: {iters} requests of {BATCH} orders ({} body bytes); count instructions \
         with callgrind (see the module docs)",
        body.len()
    );
}
