//! The order routes end to end (API.md 2, 3, 5.1, 5.2): every inline code of section 3 with a
//! real signed order, the request-level errors, idempotency, reservations, other wallets,
//! listing, cancels, cancel-onchain calldata, a restart, and one happy path on PostgreSQL.
//!
//! Happy paths go through the bot SDK (`client`); bad inputs are raw HTTP, built from what the
//! SDK signs and altered after signing (re-signed where the rule under test must be the only
//! one broken). Each test has its own dev-mode gateway and wallets, so they run in parallel.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_primitives::{hex, keccak256, U256};
use alloy_sol_types::SolCall;
use client::{
    Client, ClientError, Credentials, OrderResult, OrderView, OrdersQuery, SignedOrder,
    StatusFilter,
};
use reqwest::Method;
use serde_json::{json, Value};
use types::{ChainId, OrderHash, OrderStatus, OrderType, Outcome, Side};

use crate::harness::{
    assert_envelope, condition_id, market_body, token_ids, Gateway, Resp, DEMO_CONDITION_ID,
};
use crate::trading::{
    assert_accepted, assert_inline, demo, dev_gateway, gtd, hash_of, high_s_twin, item, limit,
    market_info, resign, test_key, Trader, DEMO_EXCHANGE, DEMO_NO, DEMO_YES, DEV_ENV,
};

use Outcome::{No, Yes};
use Side::{Buy, Sell};

/// One share of an 18-decimal token, in base units.
fn shares(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A dev gateway, a trader with read+trade and plenty of collateral, and the demo market.
async fn funded(label: &str) -> (Gateway, Trader, client::MarketInfo) {
    let gw = dev_gateway().await;
    let trader = Trader::new(&gw, label).await;
    trader.credit(&gw, shares(1_000_000)).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    (gw, trader, market)
}

/// The single result of a one-item `POST /v1/orders`.
async fn place_one(gw: &Gateway, trader: &Trader, item: Value) -> Value {
    let r = trader.post_orders(gw, &[item]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let results = r.body["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{}", r.text);
    results[0].clone()
}

/// A refused order is not stored: its hash is unknown to the owner too.
async fn assert_not_stored(gw: &Gateway, trader: &Trader, hash: &str) {
    let r = trader.get(gw, &format!("/v1/orders/{hash}")).await;
    assert_envelope(&r, 404, "ORDER_NOT_FOUND", "No order with this hash");
}

fn accepted(result: &OrderResult) -> &client::AcceptedView {
    match result {
        OrderResult::Accepted(p) => p,
        OrderResult::Refused { error } => panic!("refused: {error:?}"),
    }
}

async fn list_all(api: &Client, status: StatusFilter) -> Vec<OrderView> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = api
            .list_orders(&OrdersQuery {
                status: Some(status),
                cursor: cursor.take(),
                limit: Some(100),
                ..OrdersQuery::default()
            })
            .await
            .expect("list orders");
        out.extend(page.data);
        match page.next_cursor {
            Some(c) if page.has_more => cursor = Some(c),
            _ => return out,
        }
    }
}

fn hashes(views: &[OrderView]) -> HashSet<OrderHash> {
    views.iter().map(|v| v.order_hash).collect()
}

fn set(hs: &[OrderHash]) -> HashSet<OrderHash> {
    hs.iter().copied().collect()
}

// ---- happy path through the SDK ----

#[tokio::test]
async fn a_signed_order_placed_through_the_sdk_is_open_fetchable_and_listed() {
    let (gw, a, market) = funded("happy").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let resp = a
        .api
        .place_orders(std::slice::from_ref(&order), None)
        .await
        .expect("place");
    assert!(!resp.idempotent_replayed);
    assert_eq!(resp.body.results.len(), 1);
    let placed = accepted(&resp.body.results[0]);
    assert_eq!(placed.order_hash, order.hash);
    assert_eq!(placed.condition_id, demo());
    assert_eq!(placed.chain_id, ChainId(56));
    assert_eq!(placed.status, OrderStatus::Open);
    assert_eq!(placed.price.to_string(), "0.40");
    assert_eq!(placed.size.to_string(), "10.00");
    assert_eq!(placed.remaining_size, placed.size);
    assert!(placed.fills.is_empty());

    let view = a.api.get_order(order.hash).await.expect("get");
    assert_eq!(view.order_hash, order.hash);
    assert_eq!(view.condition_id, demo());
    assert_eq!(view.chain_id, ChainId(56));
    assert_eq!(view.side, Buy);
    assert_eq!(view.outcome, Yes);
    assert_eq!(view.order_type, OrderType::Limit);
    assert_eq!(view.price.to_string(), "0.40");
    assert_eq!(view.size.to_string(), "10.00");
    assert_eq!(view.remaining_size.to_string(), "10.00");
    assert_eq!(view.status, OrderStatus::Open);
    assert_eq!(view.token_id.to_string(), DEMO_YES);
    assert_eq!(view.fee_rate_bps, 0);
    assert_eq!(view.expiration, "0");
    assert_eq!(view.created_at, placed.created_at);

    let page = a
        .api
        .list_orders(&OrdersQuery::default())
        .await
        .expect("list");
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].order_hash, order.hash);
    assert!(!page.has_more);
    assert_eq!(page.next_cursor, None);

    // The raw answer has exactly the contract's fields.
    let again = a.sign(&market, &limit(No, Buy, 30, 500));
    let result = place_one(&gw, &a, item(&again)).await;
    assert_accepted(&result, &again);
}

// ---- inline codes, one rule per test ----

#[tokio::test]
async fn wallet_mismatch_when_signed_by_another_key_than_the_api_keys_wallet() {
    let (gw, a, market) = funded("wm-caller").await;
    let mallory = test_key("wm-mallory");
    let order = client::OrderBuilder::new(&mallory, &market)
        .build(&limit(Yes, Buy, 40, 1_000))
        .unwrap();
    let result = place_one(&gw, &a, item(&order)).await;
    assert_inline(
        &result,
        "WALLET_MISMATCH",
        &format!("signer must be the authenticated wallet {}", a.wallet),
    );
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn wallet_mismatch_when_maker_is_not_the_signer() {
    let (gw, a, market) = funded("wm-maker").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    it["maker"] = json!(test_key("wm-other-maker").wallet().to_string());
    // A valid signature by the signer over the altered struct: only the wallet rule fails.
    let hash = resign(&mut it, &a.key, &market);
    let result = place_one(&gw, &a, it).await;
    assert_inline(&result, "WALLET_MISMATCH", "maker must equal signer");
    assert_not_stored(&gw, &a, &hash.to_string()).await;
}

#[tokio::test]
async fn invalid_signature_when_the_signature_or_a_signed_field_is_tampered() {
    let (gw, a, market) = funded("sig-tamper").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    // A byte of `s` changed: recovers to nobody or to someone else.
    let mut flipped = item(&order);
    let mut sig = hex::decode(order.signature.trim_start_matches("0x")).unwrap();
    sig[40] ^= 0x01;
    flipped["signature"] = json!(format!("0x{}", hex::encode(&sig)));
    // A signed field changed after signing: the signature is for another order.
    let mut resalted = item(&order);
    resalted["salt"] = json!((order.salt + U256::from(1u8)).to_string());
    // Too short to be a signature at all.
    let mut short = item(&order);
    short["signature"] = json!(format!("0x{}", hex::encode(&sig[..64])));
    let r = a.post_orders(&gw, &[flipped, resalted, short]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_inline(&r.body["results"][0], "INVALID_SIGNATURE", "signature: ");
    assert_inline(
        &r.body["results"][1],
        "INVALID_SIGNATURE",
        &format!("signature: was not made by signer {}", a.wallet),
    );
    assert_inline(&r.body["results"][2], "INVALID_SIGNATURE", "65 bytes");
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn invalid_signature_when_s_is_high() {
    let (gw, a, market) = funded("sig-high-s").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut twin = item(&order);
    twin["signature"] = json!(high_s_twin(&order.signature));
    let result = place_one(&gw, &a, twin).await;
    assert_inline(&result, "INVALID_SIGNATURE", "high-s");
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
    // The canonical (low-s) signature of the very same order is accepted.
    let result = place_one(&gw, &a, item(&order)).await;
    assert_accepted(&result, &order);
}

#[tokio::test]
async fn price_out_of_range() {
    let (gw, a, market) = funded("price-range").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let items: Vec<Value> = ["0.00", "1.01", "0", "2"]
        .iter()
        .map(|p| {
            let mut it = item(&order);
            it["price"] = json!(p);
            it
        })
        .collect();
    let r = a.post_orders(&gw, &items).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for result in r.body["results"].as_array().unwrap() {
        assert_inline(
            result,
            "PRICE_OUT_OF_RANGE",
            "price: must be between 0.01 and 1.00",
        );
    }
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn invalid_tick_when_the_price_has_more_than_two_decimals() {
    let (gw, a, market) = funded("tick").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    it["price"] = json!("0.405");
    let result = place_one(&gw, &a, it).await;
    assert_inline(
        &result,
        "INVALID_TICK",
        "price: must be a multiple of the 0.01 tick",
    );
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn size_too_small_below_the_markets_min_order_size() {
    let (gw, a, market) = funded("size-small").await;
    // 4.99 shares, signed with the exact amounts for 4.99: only the minimum (5) is broken.
    let order = a.sign(&market, &limit(Yes, Buy, 40, 499));
    let result = place_one(&gw, &a, item(&order)).await;
    assert_inline(
        &result,
        "SIZE_TOO_SMALL",
        "size: must be at least 5.00 shares",
    );
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
    // Exactly the minimum is accepted.
    let order = a.sign(&market, &limit(Yes, Buy, 40, 500));
    assert_accepted(&place_one(&gw, &a, item(&order)).await, &order);
}

#[tokio::test]
async fn drifted_amounts_when_signed_amounts_differ_from_price_and_size() {
    let (gw, a, market) = funded("drift").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    // One base unit more than the formula, validly signed.
    let mut more = item(&order);
    more["maker_amount"] = json!((order.maker_amount.0 + U256::from(1u8)).to_string());
    let more_hash = resign(&mut more, &a.key, &market);
    // The price changed after signing (price is not signed; the amounts no longer match it).
    let mut repriced = item(&order);
    repriced["price"] = json!("0.41");
    // A SELL whose taker_amount is one unit short.
    let sell = a.sign(&market, &limit(Yes, Sell, 60, 1_000));
    let mut short = item(&sell);
    short["taker_amount"] = json!((sell.taker_amount.0 - U256::from(1u8)).to_string());
    resign(&mut short, &a.key, &market);
    let r = a.post_orders(&gw, &[more, repriced, short]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for result in r.body["results"].as_array().unwrap() {
        assert_inline(result, "DRIFTED_AMOUNTS", "Drifted signed amounts");
        assert_eq!(
            result["error"]["message"], "Drifted signed amounts",
            "the message is exactly the contract's"
        );
    }
    assert_not_stored(&gw, &a, &more_hash.to_string()).await;
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn order_expired_when_the_expiration_is_not_in_the_future() {
    let (gw, a, market) = funded("expired").await;
    let past = a.sign(&market, &gtd(Yes, Buy, 40, 1_000, now_secs() - 60));
    let result = place_one(&gw, &a, item(&past)).await;
    assert_inline(&result, "ORDER_EXPIRED", "expiration: is not in the future");
    assert_not_stored(&gw, &a, &past.hash.to_string()).await;
    // A future expiration is accepted (no minimum lead).
    let future = a.sign(&market, &gtd(Yes, Buy, 40, 1_000, now_secs() + 3_600));
    assert_accepted(&place_one(&gw, &a, item(&future)).await, &future);
    let view = a.api.get_order(future.hash).await.unwrap();
    assert_eq!(view.order_type, OrderType::Gtd);
    assert_eq!(view.expiration, future.expiration.to_string());
}

#[tokio::test]
async fn market_not_found_for_an_unknown_condition_id_or_chain() {
    let (gw, a, market) = funded("no-market").await;
    let mut elsewhere = market.clone();
    elsewhere.condition_id = condition_id(424_242).parse().unwrap();
    let unknown = a.sign(&elsewhere, &limit(Yes, Buy, 40, 1_000));
    let mut other_chain = market.clone();
    other_chain.chain_id = ChainId(97);
    let wrong_chain = a.sign(&other_chain, &limit(Yes, Buy, 40, 1_000));
    let r = a
        .post_orders(&gw, &[item(&unknown), item(&wrong_chain)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_inline(
        &r.body["results"][0],
        "MARKET_NOT_FOUND",
        "No market with this condition_id on chain 56",
    );
    assert_inline(
        &r.body["results"][1],
        "MARKET_NOT_FOUND",
        "No market with this condition_id on chain 97",
    );
}

#[tokio::test]
async fn market_not_active_when_the_market_is_paused() {
    let (gw, a, market) = funded("paused").await;
    let path = format!("/admin/v1/markets/{DEMO_CONDITION_ID}?chain_id=56");
    let r = gw.admin_patch(&path, &json!({"status": "PAUSED"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "PAUSED");
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let result = place_one(&gw, &a, item(&order)).await;
    assert_inline(&result, "MARKET_NOT_ACTIVE", "Market is PAUSED");
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
    // Re-opened, the very same order is accepted: the refusal stored nothing.
    let r = gw.admin_patch(&path, &json!({"status": "OPEN"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_accepted(&place_one(&gw, &a, item(&order)).await, &order);
}

#[tokio::test]
async fn insufficient_balance_when_the_collateral_does_not_cover_maker_amount() {
    let gw = dev_gateway().await;
    let a = Trader::new(&gw, "poor").await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    // Nothing credited.
    let result = place_one(&gw, &a, item(&order)).await;
    assert_inline(&result, "INSUFFICIENT_BALANCE", "Insufficient balance");
    // One base unit short.
    a.credit(&gw, order.maker_amount.0 - U256::from(1u8)).await;
    let result = place_one(&gw, &a, item(&order)).await;
    assert_inline(&result, "INSUFFICIENT_BALANCE", "Insufficient balance");
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
    // A SELL needs the tokens, not collateral.
    let sell = a.sign(&market, &limit(Yes, Sell, 60, 1_000));
    let result = place_one(&gw, &a, item(&sell)).await;
    assert_inline(&result, "INSUFFICIENT_BALANCE", "Insufficient balance");
    // Exactly enough.
    a.credit(&gw, U256::from(1u8)).await;
    assert_accepted(&place_one(&gw, &a, item(&order)).await, &order);
}

#[tokio::test]
async fn duplicate_order_twice_in_one_batch() {
    let (gw, a, market) = funded("dup-batch").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let r = a.post_orders(&gw, &[item(&order), item(&order)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_accepted(&r.body["results"][0], &order);
    assert_inline(
        &r.body["results"][1],
        "DUPLICATE_ORDER",
        "An order with this hash was already submitted",
    );
    let open = list_all(&a.api, StatusFilter::All).await;
    assert_eq!(hashes(&open), set(&[order.hash]));
}

#[tokio::test]
async fn duplicate_order_in_a_later_request_even_after_a_cancel() {
    let (gw, a, market) = funded("dup-later").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    assert_accepted(&place_one(&gw, &a, item(&order)).await, &order);
    let result = place_one(&gw, &a, item(&order)).await;
    assert_inline(
        &result,
        "DUPLICATE_ORDER",
        "An order with this hash was already submitted",
    );
    // The same order with v as 0/1 instead of 27/28 has the same hash: a duplicate too.
    let mut v01 = item(&order);
    let mut sig = hex::decode(order.signature.trim_start_matches("0x")).unwrap();
    sig[64] -= 27;
    v01["signature"] = json!(format!("0x{}", hex::encode(&sig)));
    assert_inline(&place_one(&gw, &a, v01).await, "DUPLICATE_ORDER", "already");
    // Cancelled, its hash is still spent.
    a.api.cancel_orders(&[order.hash]).await.unwrap();
    assert_inline(
        &place_one(&gw, &a, item(&order)).await,
        "DUPLICATE_ORDER",
        "already",
    );
    assert_eq!(list_all(&a.api, StatusFilter::All).await.len(), 1);
}

#[tokio::test]
async fn validation_error_for_a_gtd_order_with_expiration_zero() {
    let (gw, a, market) = funded("ve-gtd").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    // `order_type` is not signed; the SDK itself refuses to build a GTD without expiration.
    it["order_type"] = json!("GTD");
    let result = place_one(&gw, &a, it).await;
    assert_inline(&result, "VALIDATION_ERROR", "expiration: ");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("expiration: "));
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn validation_error_for_a_size_with_three_decimals() {
    let (gw, a, market) = funded("ve-size").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    it["size"] = json!("10.001");
    let result = place_one(&gw, &a, it).await;
    assert_inline(&result, "VALIDATION_ERROR", "size: ");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("size: "));
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn validation_error_for_a_signature_type_other_than_zero() {
    let (gw, a, market) = funded("ve-sigtype").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    it["signature_type"] = json!(1);
    let result = place_one(&gw, &a, it).await;
    assert_inline(&result, "VALIDATION_ERROR", "signature_type: ");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("signature_type: "));
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn validation_error_for_a_token_id_not_of_the_market() {
    let (gw, a, market) = funded("ve-token").await;
    // Another market's token, validly signed for this market's domain.
    gw.create_market(&market_body(1)).await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    it["token_id"] = json!(token_ids(1).0);
    let hash = resign(&mut it, &a.key, &market);
    let result = place_one(&gw, &a, it).await;
    assert_inline(&result, "VALIDATION_ERROR", "token_id: ");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("token_id: "));
    assert_not_stored(&gw, &a, &hash.to_string()).await;
}

#[tokio::test]
async fn validation_error_for_a_fee_rate_bps_not_the_markets() {
    let (gw, a, market) = funded("ve-fee").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    it["fee_rate_bps"] = json!(25);
    let hash = resign(&mut it, &a.key, &market);
    let result = place_one(&gw, &a, it).await;
    assert_inline(&result, "VALIDATION_ERROR", "fee_rate_bps: must be 0");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("fee_rate_bps: "));
    assert_not_stored(&gw, &a, &hash.to_string()).await;
}

#[tokio::test]
async fn a_mixed_batch_accepts_the_valid_orders_and_reports_the_others_inline_in_request_order() {
    let gw = dev_gateway().await;
    let a = Trader::new(&gw, "mixed").await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let v1 = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let v2 = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let v3 = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    // Collateral for exactly two of them.
    a.credit(&gw, v1.maker_amount.0 + v2.maker_amount.0).await;
    let mut drifted = item(&a.sign(&market, &limit(No, Buy, 30, 1_000)));
    drifted["taker_amount"] = json!("1");
    let mut off_range = item(&a.sign(&market, &limit(No, Buy, 30, 1_000)));
    off_range["price"] = json!("1.50");
    let batch = [
        item(&v1),
        drifted,
        item(&v2),
        item(&v1),
        item(&v3),
        off_range,
    ];
    let r = a.post_orders(&gw, &batch).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), batch.len(), "{}", r.text);
    assert_accepted(&results[0], &v1);
    assert_inline(&results[1], "DRIFTED_AMOUNTS", "Drifted signed amounts");
    assert_accepted(&results[2], &v2);
    assert_inline(&results[3], "DUPLICATE_ORDER", "already");
    assert_inline(&results[4], "INSUFFICIENT_BALANCE", "Insufficient balance");
    assert_inline(&results[5], "PRICE_OUT_OF_RANGE", "price: ");
    assert!(r.body.get("_idempotent_replayed").is_none(), "{}", r.text);
    let open = list_all(&a.api, StatusFilter::All).await;
    assert_eq!(hashes(&open), set(&[v1.hash, v2.hash]));
}

// ---- request-level errors ----

#[tokio::test]
async fn no_credential_is_401_auth_missing_on_every_order_route() {
    let (gw, a, market) = funded("no-cred").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let hash = order.hash.to_string();
    let body = json!({"orders": [item(&order)]});
    let requests = [
        gw.request(Method::POST, "/v1/orders").json(&body),
        gw.request(Method::GET, "/v1/orders"),
        gw.request(Method::GET, &format!("/v1/orders/{hash}")),
        gw.request(Method::POST, "/v1/orders/cancel")
            .json(&json!({})),
        gw.request(Method::POST, &format!("/v1/orders/{hash}/cancel-onchain")),
    ];
    for rb in requests {
        let r = gw.send(rb).await;
        assert_envelope(&r, 401, "AUTH_MISSING", "Authentication required");
    }
    assert_not_stored(&gw, &a, &hash).await;
}

#[tokio::test]
async fn a_read_only_key_on_the_trade_routes_is_403_forbidden() {
    let gw = dev_gateway().await;
    let reader = Trader::with_permissions(&gw, &DEV_ENV, "read-only", &["read"]).await;
    reader.credit(&gw, shares(1_000)).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let order = reader.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let r = reader.post_orders(&gw, &[item(&order)]).await;
    assert_envelope(&r, 403, "FORBIDDEN", "lacks the trade permission");
    let r = reader.post(&gw, "/v1/orders/cancel", &json!({})).await;
    assert_envelope(&r, 403, "FORBIDDEN", "lacks the trade permission");
    let r = reader
        .post(
            &gw,
            &format!("/v1/orders/{}/cancel-onchain", order.hash),
            &json!({}),
        )
        .await;
    assert_envelope(&r, 403, "FORBIDDEN", "lacks the trade permission");
    // Reading is allowed, and nothing was placed.
    let r = reader.get(&gw, "/v1/orders?status=all").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"], json!([]));
}

#[tokio::test]
async fn a_trade_only_key_on_the_read_routes_is_403_forbidden() {
    let gw = dev_gateway().await;
    let trader = Trader::with_permissions(&gw, &DEV_ENV, "trade-only", &["trade"]).await;
    trader.credit(&gw, shares(1_000)).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let order = trader.sign(&market, &limit(Yes, Buy, 40, 1_000));
    // `trade` places (it does not imply `read`).
    assert_accepted(&place_one(&gw, &trader, item(&order)).await, &order);
    let r = trader.get(&gw, "/v1/orders").await;
    assert_envelope(&r, 403, "FORBIDDEN", "lacks the read permission");
    let r = trader.get(&gw, &format!("/v1/orders/{}", order.hash)).await;
    assert_envelope(&r, 403, "FORBIDDEN", "lacks the read permission");
    // The wallet's JWT has every permission: it reads the order the key placed.
    let jwt = Client::new(&gw.base_url, Credentials::jwt(&trader.jwt)).unwrap();
    assert_eq!(
        jwt.get_order(order.hash).await.unwrap().status,
        OrderStatus::Open
    );
}

#[tokio::test]
async fn more_than_15_orders_is_422_batch_size_exceeded() {
    let (gw, a, market) = funded("batch-16").await;
    let orders: Vec<SignedOrder> = (0..16)
        .map(|_| a.sign(&market, &limit(Yes, Buy, 40, 1_000)))
        .collect();
    let items: Vec<Value> = orders.iter().map(item).collect();
    let r = a.post_orders(&gw, &items).await;
    assert_envelope(&r, 422, "BATCH_SIZE_EXCEEDED", "at most 15");
    assert!(list_all(&a.api, StatusFilter::All).await.is_empty());
    // 15 is the bound, not beyond it: all accepted.
    let r = a.post_orders(&gw, &items[..15]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for (result, order) in r.body["results"].as_array().unwrap().iter().zip(&orders) {
        assert_accepted(result, order);
    }
}

#[tokio::test]
async fn an_empty_orders_array_is_400_validation_error() {
    let (gw, a, _) = funded("empty").await;
    let r = a.post_orders(&gw, &[]).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "orders");
    // No `orders` at all names the field too.
    let r = a.post_raw(&gw, "{}", None).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "orders");
}

#[tokio::test]
async fn malformed_json_is_400_validation_error() {
    let (gw, a, market) = funded("malformed").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let body = json!({"orders": [item(&order)]}).to_string();
    // Cut short.
    let r = a.post_raw(&gw, &body[..body.len() - 3], None).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "");
    let r = a.post_raw(&gw, "{orders: [", None).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "");
    // `orders` of the wrong type names the field.
    let r = a.post_raw(&gw, r#"{"orders": "all"}"#, None).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "orders");
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
}

#[tokio::test]
async fn more_than_100_hashes_on_cancel_is_422_batch_size_exceeded() {
    let (gw, a, market) = funded("cancel-101").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    a.api
        .place_orders(std::slice::from_ref(&order), None)
        .await
        .unwrap();
    let mut many: Vec<String> = (1..=100u64).map(|i| format!("0x{i:064x}")).collect();
    many.push(order.hash.to_string());
    let r = a
        .post(&gw, "/v1/orders/cancel", &json!({"order_hashes": many}))
        .await;
    assert_envelope(&r, 422, "BATCH_SIZE_EXCEEDED", "at most 100");
    assert_eq!(
        a.api.get_order(order.hash).await.unwrap().status,
        OrderStatus::Open
    );
    // Exactly 100 is allowed.
    many.remove(0);
    let r = a
        .post(&gw, "/v1/orders/cancel", &json!({"order_hashes": many}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"cancelled_count": 1, "order_hashes": [order.hash.to_string()]})
    );
}

// ---- idempotency ----

/// `replayed` is the identical response to `first`: its bytes, with the mark appended as the
/// last member.
fn assert_replays(replayed: &Resp, first: &Resp) {
    let first_members = first.text.strip_suffix('}').expect("a JSON object");
    assert_eq!(
        replayed.text,
        format!("{first_members},\"_idempotent_replayed\":true}}")
    );
}

#[tokio::test]
async fn idempotency_same_key_and_body_replays_identical_results_and_reserves_once() {
    let gw = dev_gateway().await;
    let a = Trader::new(&gw, "idem-replay").await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let first = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let second = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let third = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    a.credit(&gw, first.maker_amount.0 + second.maker_amount.0)
        .await;
    let body = json!({"orders": [item(&first)]}).to_string();
    let r1 = a.post_raw(&gw, &body, Some("idem-key-1")).await;
    assert_eq!(r1.status, 200, "{}", r1.text);
    assert_accepted(&r1.body["results"][0], &first);
    assert!(r1.body.get("_idempotent_replayed").is_none(), "{}", r1.text);

    let r2 = a.post_raw(&gw, &body, Some("idem-key-1")).await;
    assert_eq!(r2.status, 200, "{}", r2.text);
    assert_eq!(r2.body["_idempotent_replayed"], true, "{}", r2.text);
    assert_replays(&r2, &r1);

    // The SDK sends the same body for the same order: also a replay.
    let resp = a
        .api
        .place_orders(std::slice::from_ref(&first), Some("idem-key-1"))
        .await
        .unwrap();
    assert!(resp.idempotent_replayed);
    assert_eq!(accepted(&resp.body.results[0]).order_hash, first.hash);

    // The first order reserved its collateral once: the second fits exactly, the third not.
    assert_accepted(&place_one(&gw, &a, item(&second)).await, &second);
    assert_inline(
        &place_one(&gw, &a, item(&third)).await,
        "INSUFFICIENT_BALANCE",
        "Insufficient balance",
    );
    let all = list_all(&a.api, StatusFilter::All).await;
    assert_eq!(hashes(&all), set(&[first.hash, second.hash]));
}

#[tokio::test]
async fn idempotency_concurrent_requests_with_one_key_execute_once_and_answer_alike() {
    let (gw, a, market) = funded("idem-race").await;
    let orders: Vec<SignedOrder> = (0..3)
        .map(|i| a.sign(&market, &limit(Yes, Buy, 40 + i, 1_000)))
        .collect();
    let body = json!({"orders": orders.iter().map(item).collect::<Vec<_>>()}).to_string();
    let (r1, r2) = tokio::join!(
        a.post_raw(&gw, &body, Some("idem-race")),
        a.post_raw(&gw, &body, Some("idem-race"))
    );
    // Whichever came second waited for the first (or came after it) and replays it.
    assert_eq!(
        (r1.status, r2.status),
        (200, 200),
        "{} | {}",
        r1.text,
        r2.text
    );
    let (fresh, replayed) = if r1.body.get("_idempotent_replayed").is_none() {
        (r1, r2)
    } else {
        (r2, r1)
    };
    assert!(
        fresh.body.get("_idempotent_replayed").is_none(),
        "{}",
        fresh.text
    );
    assert_replays(&replayed, &fresh);
    for (result, order) in fresh.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&orders)
    {
        assert_accepted(result, order);
    }
    let all = list_all(&a.api, StatusFilter::All).await;
    assert_eq!(all.len(), 3, "each order stored once");
    assert_eq!(hashes(&all), orders.iter().map(|o| o.hash).collect());
}

#[tokio::test]
async fn idempotency_same_key_with_another_body_is_409_conflict() {
    let (gw, a, market) = funded("idem-conflict").await;
    let first = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let other = a.sign(&market, &limit(Yes, Buy, 41, 1_000));
    let r = a
        .post_orders_keyed(&gw, &[item(&first)], Some("k-conflict"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = a
        .post_orders_keyed(&gw, &[item(&other)], Some("k-conflict"))
        .await;
    assert_envelope(
        &r,
        409,
        "IDEMPOTENCY_CONFLICT",
        "already used with another request body",
    );
    assert_not_stored(&gw, &a, &other.hash.to_string()).await;
    // Keys belong to a wallet: another wallet may use the same key for its own body.
    let b = Trader::new(&gw, "idem-conflict-b").await;
    b.credit(&gw, shares(1_000)).await;
    let theirs = b.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let r = b
        .post_orders_keyed(&gw, &[item(&theirs)], Some("k-conflict"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_accepted(&r.body["results"][0], &theirs);
}

#[tokio::test]
async fn idempotency_replay_survives_a_gateway_restart() {
    let (gw, a, market) = funded("idem-restart").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let body = json!({"orders": [item(&order)]}).to_string();
    let r1 = a.post_raw(&gw, &body, Some("survives-restart")).await;
    assert_eq!(r1.status, 200, "{}", r1.text);
    assert_accepted(&r1.body["results"][0], &order);

    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    let gw = Gateway::start_in(stopped.dir, &DEV_ENV).await;
    let r2 = a.post_raw(&gw, &body, Some("survives-restart")).await;
    assert_eq!(r2.status, 200, "{}", r2.text);
    assert_eq!(r2.body["_idempotent_replayed"], true, "{}", r2.text);
    assert_eq!(r2.body["results"], r1.body["results"]);
    let r = a.get(&gw, "/v1/orders?status=all").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1, "{}", r.text);
    // The other-body check survives too.
    let other = a.sign(&market, &limit(Yes, Buy, 41, 1_000));
    let r = a
        .post_orders_keyed(&gw, &[item(&other)], Some("survives-restart"))
        .await;
    assert_envelope(&r, 409, "IDEMPOTENCY_CONFLICT", "another request body");
}

// ---- reservations ----

#[tokio::test]
async fn cancel_releases_the_reservation_so_the_full_balance_serves_another_order() {
    let gw = dev_gateway().await;
    let a = Trader::new(&gw, "release").await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let first = a.sign(&market, &limit(Yes, Buy, 50, 2_000));
    let second = a.sign(&market, &limit(No, Buy, 25, 4_000));
    assert_eq!(first.maker_amount, second.maker_amount);
    a.credit(&gw, first.maker_amount.0).await;
    let resp = a
        .api
        .place_orders(std::slice::from_ref(&first), None)
        .await
        .unwrap();
    accepted(&resp.body.results[0]);
    // The whole balance is reserved by the first order.
    let resp = a
        .api
        .place_orders(std::slice::from_ref(&second), None)
        .await
        .unwrap();
    match &resp.body.results[0] {
        OrderResult::Refused { error } => assert_eq!(error.code, "INSUFFICIENT_BALANCE"),
        other => panic!("expected INSUFFICIENT_BALANCE, got {other:?}"),
    }
    let cancelled = a.api.cancel_all().await.unwrap();
    assert_eq!(cancelled.cancelled_count, 1);
    assert_eq!(cancelled.order_hashes, vec![first.hash]);
    // Released: the same second order now fits.
    let resp = a
        .api
        .place_orders(std::slice::from_ref(&second), None)
        .await
        .unwrap();
    assert_eq!(accepted(&resp.body.results[0]).order_hash, second.hash);
    // And its reservation holds the whole balance again.
    let third = a.sign(&market, &limit(Yes, Buy, 1, 500));
    let resp = a.api.place_orders(&[third], None).await.unwrap();
    assert_eq!(resp.body.refused(), 1);
}

#[tokio::test]
async fn concurrent_orders_cannot_reserve_the_same_balance_twice() {
    let gw = dev_gateway().await;
    let a = Trader::new(&gw, "race-balance").await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let first = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let second = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    a.credit(&gw, first.maker_amount.0).await;
    let (one, two) = (vec![item(&first)], vec![item(&second)]);
    let (r1, r2) = tokio::join!(a.post_orders(&gw, &one), a.post_orders(&gw, &two));
    let results = [&r1.body["results"][0], &r2.body["results"][0]];
    let open = results.iter().filter(|r| r["status"] == "OPEN").count();
    assert_eq!(open, 1, "{} | {}", r1.text, r2.text);
    let refused = results.iter().find(|r| r.get("error").is_some()).unwrap();
    assert_inline(refused, "INSUFFICIENT_BALANCE", "Insufficient balance");
    assert_eq!(list_all(&a.api, StatusFilter::All).await.len(), 1);
}

#[tokio::test]
async fn concurrent_requests_with_the_same_order_accept_it_once() {
    let (gw, a, market) = funded("race-dup").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let (one, two) = (vec![item(&order)], vec![item(&order)]);
    let (r1, r2) = tokio::join!(a.post_orders(&gw, &one), a.post_orders(&gw, &two));
    let results = [&r1.body["results"][0], &r2.body["results"][0]];
    let accepted: Vec<_> = results.iter().filter(|r| r["status"] == "OPEN").collect();
    assert_eq!(accepted.len(), 1, "{} | {}", r1.text, r2.text);
    assert_accepted(accepted[0], &order);
    let refused = results.iter().find(|r| r.get("error").is_some()).unwrap();
    assert_inline(refused, "DUPLICATE_ORDER", "already");
}

#[tokio::test]
async fn hashes_and_ids_are_accepted_in_any_hex_case_and_returned_lower_case() {
    let (gw, a, market) = funded("hex-case").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let mut it = item(&order);
    let upper = |s: &str| format!("0x{}", s[2..].to_uppercase());
    it["condition_id"] = json!(upper(DEMO_CONDITION_ID));
    it["maker"] = json!(upper(&a.wallet));
    it["signer"] = json!(upper(&a.wallet));
    it["signature"] = json!(upper(&order.signature));
    assert_accepted(&place_one(&gw, &a, it).await, &order);
    let hash = upper(&order.hash.to_string());
    let r = a.get(&gw, &format!("/v1/orders/{hash}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["order_hash"], order.hash.to_string());
    assert_eq!(r.body["condition_id"], DEMO_CONDITION_ID);
    let r = a
        .post(&gw, "/v1/orders/cancel", &json!({"order_hashes": [hash]}))
        .await;
    assert_eq!(
        r.body,
        json!({"cancelled_count": 1, "order_hashes": [order.hash.to_string()]})
    );
}

// ---- other wallets ----

#[tokio::test]
async fn another_wallet_cannot_get_cancel_or_cancel_onchain_an_order() {
    let (gw, a, market) = funded("owner-a").await;
    let b = Trader::new(&gw, "intruder-b").await;
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    a.api
        .place_orders(std::slice::from_ref(&order), None)
        .await
        .unwrap();
    let path = format!("/v1/orders/{}", order.hash);

    let r = b.get(&gw, &path).await;
    assert_envelope(&r, 404, "ORDER_NOT_FOUND", "No order with this hash");
    // Exactly as an unknown hash: nothing tells the two apart.
    let unknown = b
        .get(&gw, &format!("/v1/orders/0x{}", "ab".repeat(32)))
        .await;
    assert_envelope(&unknown, 404, "ORDER_NOT_FOUND", "No order with this hash");
    assert_eq!(unknown.body["message"], r.body["message"]);

    let r = b
        .post(
            &gw,
            "/v1/orders/cancel",
            &json!({"order_hashes": [order.hash.to_string()]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"cancelled_count": 0, "order_hashes": []}));
    let r = b.post(&gw, "/v1/orders/cancel", &json!({})).await;
    assert_eq!(r.body, json!({"cancelled_count": 0, "order_hashes": []}));
    let r = b
        .post(&gw, &format!("{path}/cancel-onchain"), &json!({}))
        .await;
    assert_envelope(&r, 404, "ORDER_NOT_FOUND", "No order with this hash");
    let r = b.get(&gw, "/v1/orders?status=all").await;
    assert_eq!(r.body["data"], json!([]), "{}", r.text);

    let view = a.api.get_order(order.hash).await.unwrap();
    assert_eq!(view.status, OrderStatus::Open);
    assert_eq!(view.remaining_size, order.size);
}

// ---- listing ----

#[tokio::test]
async fn list_orders_by_status_group_open_cancelled_filled_and_all() {
    let (_gw, a, market) = funded("groups").await;
    let orders: Vec<SignedOrder> = (0..3)
        .map(|i| a.sign(&market, &limit(Yes, Buy, 30 + i, 1_000)))
        .collect();
    let resp = a.api.place_orders(&orders, None).await.unwrap();
    assert_eq!(resp.body.refused(), 0);
    let gone = a.api.cancel_orders(&[orders[1].hash]).await.unwrap();
    assert_eq!(gone.order_hashes, vec![orders[1].hash]);

    let open = list_all(&a.api, StatusFilter::Open).await;
    assert_eq!(hashes(&open), set(&[orders[0].hash, orders[2].hash]));
    assert!(open.iter().all(|o| o.status == OrderStatus::Open));
    let cancelled = list_all(&a.api, StatusFilter::Cancelled).await;
    assert_eq!(hashes(&cancelled), set(&[orders[1].hash]));
    assert_eq!(cancelled[0].status, OrderStatus::Cancelled);
    assert!(list_all(&a.api, StatusFilter::Filled).await.is_empty());
    let all = list_all(&a.api, StatusFilter::All).await;
    let placed: Vec<OrderHash> = orders.iter().map(|o| o.hash).collect();
    assert_eq!(hashes(&all), set(&placed));
    // No status is `open`.
    let default = a.api.list_orders(&OrdersQuery::default()).await.unwrap();
    assert_eq!(hashes(&default.data), hashes(&open));
}

#[tokio::test]
async fn list_orders_paginates_newest_first_with_limit() {
    let (_gw, a, market) = funded("pages").await;
    let older: Vec<SignedOrder> = (0..3)
        .map(|_| a.sign(&market, &limit(Yes, Buy, 20, 1_000)))
        .collect();
    a.api.place_orders(&older, None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let newer: Vec<SignedOrder> = (0..2)
        .map(|_| a.sign(&market, &limit(Yes, Buy, 21, 1_000)))
        .collect();
    a.api.place_orders(&newer, None).await.unwrap();

    // Newest first: the later batch, then the earlier; the hash breaks ties, descending.
    let mut expected: Vec<OrderHash> = newer.iter().map(|o| o.hash).collect();
    expected.sort_unstable_by_key(|h| std::cmp::Reverse(h.to_string()));
    let mut tail: Vec<OrderHash> = older.iter().map(|o| o.hash).collect();
    tail.sort_unstable_by_key(|h| std::cmp::Reverse(h.to_string()));
    expected.extend(tail);

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut sizes = Vec::new();
    loop {
        let page = a
            .api
            .list_orders(&OrdersQuery {
                status: Some(StatusFilter::Open),
                limit: Some(2),
                cursor: cursor.take(),
                ..OrdersQuery::default()
            })
            .await
            .unwrap();
        sizes.push(page.data.len());
        seen.extend(page.data.iter().map(|o| o.order_hash));
        if page.has_more {
            assert_eq!(page.data.len(), 2, "a page with has_more is full");
            cursor = Some(page.next_cursor.expect("a cursor when has_more"));
        } else {
            assert_eq!(page.next_cursor, None, "the last page has no cursor");
            break;
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, expected);
}

// ---- cancels ----

#[tokio::test]
async fn cancel_by_hashes_cancels_only_the_listed_open_orders() {
    let (_gw, a, market) = funded("cancel-hashes").await;
    let orders: Vec<SignedOrder> = (0..3)
        .map(|i| a.sign(&market, &limit(Yes, Buy, 30 + i, 1_000)))
        .collect();
    a.api.place_orders(&orders, None).await.unwrap();
    let unknown = hash_of(&format!("0x{}", "cd".repeat(32)));
    let resp = a
        .api
        .cancel_orders(&[orders[2].hash, unknown, orders[0].hash])
        .await
        .unwrap();
    assert_eq!(resp.cancelled_count, 2);
    assert_eq!(resp.order_hashes, vec![orders[2].hash, orders[0].hash]);
    assert_eq!(
        a.api.get_order(orders[0].hash).await.unwrap().status,
        OrderStatus::Cancelled
    );
    assert_eq!(
        a.api.get_order(orders[1].hash).await.unwrap().status,
        OrderStatus::Open
    );
    // Cancelling again cancels nothing: only orders actually cancelled are reported.
    let again = a.api.cancel_orders(&[orders[0].hash]).await.unwrap();
    assert_eq!(again.cancelled_count, 0);
    assert!(again.order_hashes.is_empty());
}

#[tokio::test]
async fn cancel_by_market_filter_cancels_only_that_markets_orders() {
    let (gw, a, demo_market) = funded("cancel-market").await;
    gw.create_market(&market_body(7)).await;
    let other_market = market_info(&gw, &condition_id(7)).await;
    let here = [
        a.sign(&demo_market, &limit(Yes, Buy, 40, 1_000)),
        a.sign(&demo_market, &limit(No, Buy, 30, 1_000)),
    ];
    let there = a.sign(&other_market, &limit(Yes, Buy, 40, 1_000));
    a.api.place_orders(&here, None).await.unwrap();
    a.api
        .place_orders(std::slice::from_ref(&there), None)
        .await
        .unwrap();

    let resp = a.api.cancel_market(demo(), ChainId(56)).await.unwrap();
    assert_eq!(resp.cancelled_count, 2);
    assert_eq!(set(&resp.order_hashes), set(&[here[0].hash, here[1].hash]));
    let open = list_all(&a.api, StatusFilter::Open).await;
    assert_eq!(hashes(&open), set(&[there.hash]));
    // The listing's market filter agrees.
    let r = a
        .get(
            &gw,
            &format!("/v1/orders?condition_id={DEMO_CONDITION_ID}&chain_id=56&status=cancelled"),
        )
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2, "{}", r.text);
}

#[tokio::test]
async fn cancel_by_outcome_and_side_filters_match_the_orders_own_outcome_and_side() {
    let (gw, a, market) = funded("cancel-filters").await;
    a.credit_asset(&gw, DEMO_YES, shares(1_000)).await;
    a.credit_asset(&gw, DEMO_NO, shares(1_000)).await;
    // None of these cross: bids 0.40 YES and 0.30 NO (a YES ask at 0.70), asks 0.80 and 0.90.
    let buy_yes = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let buy_no = a.sign(&market, &limit(No, Buy, 30, 1_000));
    let sell_yes = a.sign(&market, &limit(Yes, Sell, 80, 1_000));
    let sell_no = a.sign(&market, &limit(No, Sell, 90, 1_000));
    let all = [
        buy_yes.clone(),
        buy_no.clone(),
        sell_yes.clone(),
        sell_no.clone(),
    ];
    let resp = a.api.place_orders(&all, None).await.unwrap();
    assert_eq!(resp.body.refused(), 0, "{resp:?}");

    // outcome 0 and side SELL: the NO sell only.
    let r = a
        .post(
            &gw,
            "/v1/orders/cancel",
            &json!({"outcome": 0, "side": "SELL"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"cancelled_count": 1, "order_hashes": [sell_no.hash.to_string()]})
    );
    // side BUY: both bids, whatever the outcome.
    let r = a
        .post(&gw, "/v1/orders/cancel", &json!({"side": "BUY"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["cancelled_count"], 2, "{}", r.text);
    let got: HashSet<String> = r.body["order_hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    let want: HashSet<String> = [buy_yes.hash.to_string(), buy_no.hash.to_string()].into();
    assert_eq!(got, want);
    // outcome 1 with the market: the YES sell, the last open order.
    let r = a
        .post(
            &gw,
            "/v1/orders/cancel",
            &json!({"condition_id": DEMO_CONDITION_ID, "chain_id": 56, "outcome": 1}),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"cancelled_count": 1, "order_hashes": [sell_yes.hash.to_string()]})
    );
    assert!(list_all(&a.api, StatusFilter::Open).await.is_empty());
}

#[tokio::test]
async fn cancel_with_an_empty_body_cancels_all_the_callers_open_orders() {
    let (gw, a, market) = funded("cancel-all-a").await;
    let b = Trader::new(&gw, "cancel-all-b").await;
    b.credit(&gw, shares(1_000)).await;
    gw.create_market(&market_body(3)).await;
    let other = market_info(&gw, &condition_id(3)).await;
    let mine = [
        a.sign(&market, &limit(Yes, Buy, 40, 1_000)),
        a.sign(&other, &limit(No, Buy, 20, 1_000)),
    ];
    a.api.place_orders(&mine, None).await.unwrap();
    let theirs = b.sign(&market, &limit(Yes, Buy, 40, 1_000));
    b.api
        .place_orders(std::slice::from_ref(&theirs), None)
        .await
        .unwrap();

    let r = a.post(&gw, "/v1/orders/cancel", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["cancelled_count"], 2, "{}", r.text);
    assert!(list_all(&a.api, StatusFilter::Open).await.is_empty());
    assert_eq!(list_all(&a.api, StatusFilter::Cancelled).await.len(), 2);
    // Another wallet's order is untouched.
    assert_eq!(
        b.api.get_order(theirs.hash).await.unwrap().status,
        OrderStatus::Open
    );
    // Nothing left: a second `{}` cancels nothing.
    let again = a.api.cancel_all().await.unwrap();
    assert_eq!(again.cancelled_count, 0);
}

alloy_sol_types::sol! {
    /// The CTF exchange's `Order` as `cancelOrder` takes it: the signed fields, then the
    /// signature (declared here independently of the gateway's `signing::calldata`).
    struct CtfOrder {
        uint256 salt;
        address maker;
        address signer;
        address taker;
        uint256 tokenId;
        uint256 makerAmount;
        uint256 takerAmount;
        uint256 expiration;
        uint256 nonce;
        uint256 feeRateBps;
        uint8 side;
        uint8 signatureType;
        bytes signature;
    }

    function cancelOrder(CtfOrder order);
}

#[tokio::test]
async fn cancel_onchain_returns_the_exchange_calldata_and_cancels_at_once() {
    let (_gw, a, market) = funded("onchain").await;
    let expiration = now_secs() + 86_400;
    let order = client::OrderBuilder::new(&a.key, &market)
        .nonce(U256::from(7u8))
        .build(&gtd(No, Buy, 35, 1_250, expiration))
        .unwrap();
    a.api
        .place_orders(std::slice::from_ref(&order), None)
        .await
        .unwrap();

    let onchain = a.api.cancel_onchain(order.hash).await.unwrap();
    assert_eq!(onchain.order_hash, order.hash);
    assert_eq!(onchain.chain_id, ChainId(56));
    assert_eq!(onchain.to.to_string(), DEMO_EXCHANGE);
    assert_eq!(onchain.to, market.ctf_exchange_address);

    let data = hex::decode(onchain.data.strip_prefix("0x").expect("0x data")).unwrap();
    let signature = "cancelOrder((uint256,address,address,address,uint256,uint256,uint256,\
                     uint256,uint256,uint256,uint8,uint8,bytes))";
    assert_eq!(data[..4], keccak256(signature.as_bytes())[..4], "selector");
    assert_eq!(cancelOrderCall::SELECTOR[..], data[..4]);
    let decoded = cancelOrderCall::abi_decode(&data).expect("the calldata decodes");
    let o = decoded.order;
    assert_eq!(o.salt, order.salt);
    assert_eq!(o.maker, a.key.wallet().address());
    assert_eq!(o.signer, a.key.wallet().address());
    assert_eq!(o.taker, alloy_primitives::Address::ZERO);
    assert_eq!(o.tokenId.to_string(), DEMO_NO);
    assert_eq!(o.makerAmount, order.maker_amount.0);
    assert_eq!(o.takerAmount, order.taker_amount.0);
    assert_eq!(o.expiration, U256::from(expiration));
    assert_eq!(o.nonce, U256::from(7u8));
    assert_eq!(o.feeRateBps, U256::ZERO);
    assert_eq!(o.side, 0);
    assert_eq!(o.signatureType, 0);
    assert_eq!(format!("0x{}", hex::encode(&o.signature)), order.signature);

    // Off the book at once.
    let view = a.api.get_order(order.hash).await.unwrap();
    assert_eq!(view.status, OrderStatus::Cancelled);
    assert!(list_all(&a.api, StatusFilter::Open).await.is_empty());
    // Its reservation is released: the whole balance serves a new order.
    let big = a.sign(&market, &limit(Yes, Buy, 100, 100_000_000));
    let resp = a.api.place_orders(&[big], None).await.unwrap();
    assert_eq!(resp.body.refused(), 0, "{resp:?}");
    // An already cancelled order still gets its calldata: its signature is live on chain.
    let again = a.api.cancel_onchain(order.hash).await.unwrap();
    assert_eq!(again.data, onchain.data);
}

#[tokio::test]
async fn cancel_onchain_of_an_order_on_an_admin_market_targets_that_markets_exchange() {
    let (gw, a, _) = funded("onchain-admin").await;
    let mut body = market_body(11);
    body["ctf_exchange_address"] = json!("0x00000000000000000000000000000000000ABC11");
    gw.create_market(&body).await;
    let market = market_info(&gw, &condition_id(11)).await;
    let order = a.sign(&market, &limit(Yes, Sell, 70, 1_000));
    a.credit_asset(&gw, &token_ids(11).0, shares(10)).await;
    a.api
        .place_orders(std::slice::from_ref(&order), None)
        .await
        .unwrap();
    let onchain = a.api.cancel_onchain(order.hash).await.unwrap();
    assert_eq!(
        onchain.to.to_string(),
        "0x00000000000000000000000000000000000abc11"
    );
    let data = hex::decode(&onchain.data[2..]).unwrap();
    let o = cancelOrderCall::abi_decode(&data).unwrap().order;
    assert_eq!(o.side, 1);
    assert_eq!(o.tokenId.to_string(), token_ids(11).0);
    assert_eq!(o.makerAmount, shares(10));
}

// ---- durability ----

#[tokio::test]
async fn a_restart_between_placing_and_listing_loses_nothing() {
    let (gw, a, market) = funded("restart").await;
    let orders: Vec<SignedOrder> = (0..4)
        .map(|i| a.sign(&market, &limit(Yes, Buy, 10 + i, 1_000)))
        .collect();
    a.api.place_orders(&orders, None).await.unwrap();
    a.api.cancel_orders(&[orders[3].hash]).await.unwrap();
    let before = list_all(&a.api, StatusFilter::All).await;
    assert_eq!(before.len(), 4);

    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    let gw = Gateway::start_in(stopped.dir, &DEV_ENV).await;
    let api = Client::new(&gw.base_url, Credentials::api_key(&a.key_id, &a.secret)).unwrap();
    let after = list_all(&api, StatusFilter::All).await;
    assert_eq!(
        serde_json::to_value(&after).unwrap(),
        serde_json::to_value(&before).unwrap(),
        "every order, field for field"
    );
    let open = list_all(&api, StatusFilter::Open).await;
    assert_eq!(
        hashes(&open),
        set(&[orders[0].hash, orders[1].hash, orders[2].hash])
    );
    // The reservations survived too: a duplicate is still a duplicate, and cancels release.
    let r = a.post_orders(&gw, &[item(&orders[0])]).await;
    assert_inline(&r.body["results"][0], "DUPLICATE_ORDER", "already");
    let resp = api.cancel_all().await.unwrap();
    assert_eq!(resp.cancelled_count, 3);
}

#[tokio::test]
async fn orders_answered_before_the_gateway_is_killed_are_all_there_after_a_restart() {
    let (gw, a, market) = funded("killed").await;
    let batches: Vec<Vec<SignedOrder>> = (0..4)
        .map(|b| {
            (0..5)
                .map(|i| a.sign(&market, &limit(Yes, Buy, 10 + 5 * b + i, 1_000)))
                .collect()
        })
        .collect();
    let answered =
        futures_util::future::join_all(batches.iter().map(|batch| a.api.place_orders(batch, None)))
            .await;
    // SIGKILL right after the last answer: no graceful shutdown, no flush of anything pending.
    let stopped = gw.kill();
    assert!(
        !stopped.status.success(),
        "killed, not exited: {}",
        stopped.status
    );
    for (answer, batch) in answered.iter().zip(&batches) {
        let answer = answer.as_ref().expect("the batch is answered");
        for (result, order) in answer.body.results.iter().zip(batch) {
            assert_eq!(accepted(result).order_hash, order.hash);
        }
    }

    let gw = Gateway::start_in(stopped.dir, &DEV_ENV).await;
    let api = Client::new(&gw.base_url, Credentials::api_key(&a.key_id, &a.secret)).unwrap();
    let open = list_all(&api, StatusFilter::Open).await;
    assert_eq!(
        hashes(&open),
        batches.iter().flatten().map(|o| o.hash).collect(),
        "every order answered OPEN is stored"
    );
    // Their hashes and reservations were committed with them: each is still a duplicate, and
    // all 20 are live to cancel.
    let r = a.post_orders(&gw, &[item(&batches[0][0])]).await;
    assert_inline(&r.body["results"][0], "DUPLICATE_ORDER", "already");
    assert_eq!(api.cancel_all().await.unwrap().cancelled_count, 20);
}

// ---- PostgreSQL ----

#[tokio::test]
async fn postgres_place_list_get_and_cancel() {
    let Some(schema) = test_support::PgSchema::create().await else {
        return;
    };
    let env = [
        ("FS_DEV_MODE", "true"),
        ("FS_ADMIN_TOKEN", crate::harness::ADMIN_TOKEN),
        ("DATABASE_URL", schema.url.as_str()),
    ];
    let gw = Gateway::start(&env).await;
    let a = Trader::with_permissions(&gw, &env, "postgres", &["read", "trade"]).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let orders = [
        a.sign(&market, &limit(Yes, Buy, 40, 1_000)),
        a.sign(&market, &limit(No, Buy, 30, 1_000)),
    ];
    a.credit(&gw, orders[0].maker_amount.0 + orders[1].maker_amount.0)
        .await;
    let resp = a.api.place_orders(&orders, Some("pg-batch")).await.unwrap();
    assert_eq!(resp.body.refused(), 0, "{resp:?}");
    let replay = a.api.place_orders(&orders, Some("pg-batch")).await.unwrap();
    assert!(replay.idempotent_replayed);
    let extra = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    let resp = a.api.place_orders(&[extra], None).await.unwrap();
    match &resp.body.results[0] {
        OrderResult::Refused { error } => assert_eq!(error.code, "INSUFFICIENT_BALANCE"),
        other => panic!("expected INSUFFICIENT_BALANCE, got {other:?}"),
    }
    let open = list_all(&a.api, StatusFilter::Open).await;
    assert_eq!(hashes(&open), set(&[orders[0].hash, orders[1].hash]));
    let view = a.api.get_order(orders[1].hash).await.unwrap();
    assert_eq!((view.outcome, view.side), (No, Buy));
    let cancelled = a.api.cancel_all().await.unwrap();
    assert_eq!(cancelled.cancelled_count, 2);
    let err = a
        .api
        .get_order(hash_of(&format!("0x{}", "ee".repeat(32))))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 404, code, .. } if code == "ORDER_NOT_FOUND"),
        "{err:?}"
    );
    let r = a
        .get(&gw, &format!("/v1/orders/0x{}", "ee".repeat(32)))
        .await;
    assert_envelope(&r, 404, "ORDER_NOT_FOUND", "No order with this hash");
    assert_eq!(list_all(&a.api, StatusFilter::Cancelled).await.len(), 2);
}

// ---- the acceptance writers in /metrics ----

/// The value of an unlabelled sample in a `/metrics` text.
fn sample(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_the_group_commits_and_the_orders_that_reached_them() {
    let (gw, a, market) = funded("metrics").await;
    let before = gw.get("/metrics").await;
    assert_eq!(sample(&before.text, "acceptance_groups_total"), Some(0));

    let two = [
        item(&a.sign(&market, &limit(Yes, Buy, 40, 1_000))),
        item(&a.sign(&market, &limit(Yes, Buy, 41, 1_000))),
    ];
    let r = a.post_orders(&gw, &two).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // One valid order beside one refused by a stateless rule: only the valid one is written.
    let mut off_tick = item(&a.sign(&market, &limit(Yes, Buy, 42, 1_000)));
    off_tick["price"] = json!("0.425");
    let mixed = [
        item(&a.sign(&market, &limit(Yes, Buy, 43, 1_000))),
        off_tick.clone(),
    ];
    let r = a.post_orders(&gw, &mixed).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Nothing valid and no idempotency key: nothing for a writer to do.
    let r = a.post_orders(&gw, &[off_tick]).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let after = gw.get("/metrics").await;
    assert!(
        after
            .text
            .contains("# TYPE acceptance_groups_total counter"),
        "{}",
        after.text
    );
    // Sequential requests on an idle gateway are committed one group each, at once.
    assert_eq!(sample(&after.text, "acceptance_groups_total"), Some(2));
    assert_eq!(sample(&after.text, "acceptance_requests_total"), Some(2));
    assert_eq!(sample(&after.text, "acceptance_orders_total"), Some(3));
    assert_eq!(sample(&after.text, "acceptance_queued_requests"), Some(0));
}
