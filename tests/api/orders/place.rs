//! Placing orders (docs/api.md 6.1): a happy path through the SDK, then every inline code of
//! docs/api.md 6.2, one rule per test, with a real signed order altered after signing (re-signed
//! where the rule under test must be the only one broken).

use alloy_primitives::{hex, U256};
use client::{OrdersQuery, StatusFilter};
use serde_json::{json, Value};
use types::{ChainId, OrderStatus, OrderType, Outcome, Side};

use crate::harness::{condition_id, market_body, token_ids, DEMO_CONDITION_ID};
use crate::trading::{
    assert_accepted, assert_inline, demo, dev_gateway, gtd, high_s_twin, item, limit, market_info,
    resign, test_key, Trader, DEMO_YES,
};

use super::{accepted, assert_not_stored, funded, hashes, list_all, now_secs, place_one, set};

use Outcome::{No, Yes};
use Side::{Buy, Sell};

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
    // 10 shares at 0.40: 4 collateral.
    let order = a.sign(&market, &limit(Yes, Buy, 40, 1_000));
    // Nothing credited.
    let result = place_one(&gw, &a, item(&order)).await;
    assert_insufficient(
        &result,
        "needs 4.00 collateral (4000000000000000000 base units); available 0.00",
    );
    // One base unit short: every base unit is shown.
    a.credit(&gw, order.maker_amount.0 - U256::from(1u8)).await;
    let result = place_one(&gw, &a, item(&order)).await;
    assert_insufficient(
        &result,
        "needs 4.00 collateral (4000000000000000000 base units); available 3.999999999999999999",
    );
    assert_not_stored(&gw, &a, &order.hash.to_string()).await;
    // Exactly enough.
    a.credit(&gw, U256::from(1u8)).await;
    assert_accepted(&place_one(&gw, &a, item(&order)).await, &order);
}

#[tokio::test]
async fn insufficient_balance_of_a_sell_names_the_outcome_tokens_it_needs() {
    let gw = dev_gateway().await;
    let a = Trader::new(&gw, "few-tokens").await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let yes = market.token(Yes).expect("a YES token").token_id;
    // 7.5 YES tokens held; a SELL needs the tokens, not collateral.
    a.credit(
        &gw,
        U256::from(100u8) * U256::from(10u8).pow(U256::from(18u8)),
    )
    .await;
    a.credit_asset(
        &gw,
        &yes.to_string(),
        U256::from(75u8) * U256::from(10u8).pow(U256::from(17u8)),
    )
    .await;
    let sell = a.sign(&market, &limit(Yes, Sell, 60, 1_000));
    let result = place_one(&gw, &a, item(&sell)).await;
    assert_insufficient(
        &result,
        &format!(
            "needs 10.00 YES tokens (10000000000000000000 base units of token_id {yes}); \
             available 7.50"
        ),
    );
    // What is available is what the earlier orders of the batch left: 7.5 - 5 = 2.5.
    let first = a.sign(&market, &limit(Yes, Sell, 60, 500));
    let second = a.sign(&market, &limit(Yes, Sell, 61, 500));
    let r = a.post_orders(&gw, &[item(&first), item(&second)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_accepted(&r.body["results"][0], &first);
    assert_insufficient(
        &r.body["results"][1],
        &format!(
            "needs 5.00 YES tokens (5000000000000000000 base units of token_id {yes}); \
             available 2.50"
        ),
    );
}

fn assert_insufficient(result: &Value, shortfall: &str) {
    assert_inline(result, "INSUFFICIENT_BALANCE", "Insufficient balance");
    assert_eq!(
        result["error"]["message"],
        format!("Insufficient balance: {shortfall}"),
        "{result}"
    );
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
