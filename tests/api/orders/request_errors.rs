//! Request-level errors of the order routes (docs/api.md 2, 6.1): no credential, a key without the
//! permission, batch sizes, and bodies that are not a valid request.

use client::{Client, Credentials, SignedOrder, StatusFilter};
use reqwest::Method;
use serde_json::{json, Value};
use types::{OrderStatus, Outcome, Side};

use crate::harness::{assert_envelope, DEMO_CONDITION_ID};
use crate::trading::{assert_accepted, dev_gateway, item, limit, market_info, Trader, DEV_ENV};

use super::{assert_not_stored, funded, list_all, place_one, shares};

use Outcome::Yes;
use Side::Buy;

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
    assert_eq!(r.body["cancelled_count"], 1, "{}", r.text);
    assert_eq!(r.body["order_hashes"], json!([order.hash.to_string()]));
    // Each of the 99 unknown hashes is answered.
    let not_cancelled = r.body["not_cancelled"].as_object().expect("an object");
    assert_eq!(not_cancelled.len(), 99, "{}", r.text);
    assert!(not_cancelled.values().all(|v| v == "ORDER_NOT_FOUND"));
}
