//! Reservations (docs/api.md 6.2, 6.5): a cancel releases what an order reserved, concurrent
//! requests cannot reserve one balance twice nor accept one order twice; and hashes in any hex
//! case.

use client::{OrderResult, StatusFilter};
use serde_json::json;
use types::{Outcome, Side};

use crate::harness::DEMO_CONDITION_ID;
use crate::trading::{
    assert_accepted, assert_inline, dev_gateway, item, limit, market_info, Trader,
};

use super::{accepted, funded, list_all, place_one};

use Outcome::{No, Yes};
use Side::Buy;

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
        json!({
            "cancelled_count": 1,
            "order_hashes": [order.hash.to_string()],
            "not_cancelled": {}
        })
    );
}
