//! Malformed JSON is an error, never a wider action (docs/api.md 1.3): a body is one JSON
//! object with nothing after it, a present field has its type (`null` is not "absent"), and
//! only the body `{}` cancels every open order.

use client::{OrderView, StatusFilter};
use reqwest::Method;
use serde_json::{json, Value};
use types::{Outcome, Side};

use crate::harness::{assert_envelope, condition_id, market_body, Gateway, Resp, ADMIN_TOKEN};
use crate::orders::funded;
use crate::trading::{dev_gateway, item, limit, Trader};

/// A dev gateway and a trader holding two open orders on the demo market.
async fn trader_with_open_orders(label: &str) -> (Gateway, Trader, Vec<OrderView>) {
    let (gw, trader, market) = funded(label).await;
    let orders = [
        trader.sign(&market, &limit(Outcome::Yes, Side::Buy, 40, 1_000)),
        trader.sign(&market, &limit(Outcome::No, Side::Buy, 30, 1_000)),
    ];
    let placed = trader.api.place_orders(&orders, None).await.unwrap();
    assert_eq!(placed.body.refused(), 0, "{placed:?}");
    // Once their matcher has put both on the book, nothing but a cancel changes them.
    for _ in 0..200 {
        let open = open_orders(&trader).await;
        if open.len() == 2 && open.iter().all(|o| o.book_added_at.is_some()) {
            return (gw, trader, open);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the two orders never rested");
}

async fn open_orders(trader: &Trader) -> Vec<OrderView> {
    let page = trader
        .api
        .list_orders(&client::OrdersQuery {
            status: Some(StatusFilter::Open),
            limit: Some(100),
            ..client::OrdersQuery::default()
        })
        .await
        .expect("list the open orders");
    page.data
}

/// `method path` with exactly these body bytes, as JSON, with `auth` applied.
async fn raw(
    gw: &Gateway,
    method: Method,
    path: &str,
    body: &str,
    auth: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Resp {
    let rb = gw
        .request(method, path)
        .header("content-type", "application/json")
        .body(body.to_owned());
    gw.send(auth(rb)).await
}

/// Each malformed body is 400 naming the field or the position, and every open order stays open.
#[tokio::test]
async fn a_null_or_malformed_cancel_body_cancels_nothing() {
    let (gw, trader, open) = trader_with_open_orders("strict-cancel").await;
    let cases = [
        (
            r#"{"order_hashes": null}"#,
            "order_hashes: must not be null",
        ),
        (r#"{"side": null}"#, "side: must not be null"),
        (r#"{"outcome": null}"#, "outcome: must not be null"),
        (
            r#"{"condition_id": null, "chain_id": null}"#,
            "condition_id: must not be null",
        ),
        (r#"{"market": null}"#, "market"),
        ("{} {}", "body: trailing characters at line 1 column 4"),
        ("{}x", "body: trailing characters at line 1 column 3"),
        ("{}\n]", "body: trailing characters at line 2 column 1"),
        ("[]", "body: must be a JSON object"),
        ("null", "body: must be a JSON object"),
        ("", "body: must be a JSON object"),
    ];
    for (body, message) in cases {
        let r = raw(&gw, Method::POST, "/v1/orders/cancel", body, |rb| {
            trader.keyed(rb)
        })
        .await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
        assert_eq!(open_orders(&trader).await, open, "after {body:?}");
    }
    // The test can tell: the exact body `{}` (any whitespace) does cancel everything.
    let r = raw(&gw, Method::POST, "/v1/orders/cancel", " {\n} ", |rb| {
        trader.keyed(rb)
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["cancelled_count"], 2, "{}", r.text);
    assert!(open_orders(&trader).await.is_empty());
}

#[tokio::test]
async fn trailing_data_or_a_null_in_an_order_body_places_nothing() {
    let (gw, trader, market) = funded("strict-place").await;
    let order = trader.sign(&market, &limit(Outcome::Yes, Side::Buy, 40, 1_000));
    let body = json!({"orders": [item(&order)]}).to_string();
    for (sent, message) in [
        (format!("{body} x"), "body: trailing characters"),
        (format!("{body}{{}}"), "body: trailing characters"),
        (format!("{body}]"), "body: trailing characters"),
        (format!("[{body}]"), "body: must be a JSON object"),
        (r#"{"orders": null}"#.to_owned(), "orders: "),
    ] {
        let r = trader.post_raw(&gw, &sent, None).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    }
    // Inside an item, a null is that order's inline VALIDATION_ERROR naming the field.
    let mut with_null = item(&order);
    with_null["maker"] = Value::Null;
    let r = trader.post_orders(&gw, &[with_null]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    crate::trading::assert_inline(
        &r.body["results"][0],
        "VALIDATION_ERROR",
        "maker: must not be null",
    );
    let r = trader.get(&gw, &format!("/v1/orders/{}", order.hash)).await;
    assert_envelope(&r, 404, "ORDER_NOT_FOUND", "");
    // The same order, sent well-formed, is accepted: the refusals above were the body's.
    let r = trader.post_raw(&gw, &format!(" {body}\n"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["results"][0]["status"], "OPEN", "{}", r.text);
}

#[tokio::test]
async fn api_key_bodies_are_strict_and_change_nothing() {
    let gw = dev_gateway().await;
    let trader = Trader::new(&gw, "strict-keys").await;
    let jwt = |rb: reqwest::RequestBuilder| rb.bearer_auth(&trader.jwt);
    for (body, message) in [
        (r#"{"name": null}"#, "name: must not be null"),
        (r#"{"permissions": null}"#, "permissions: must not be null"),
        (r#"{"expires_at": null}"#, "expires_at: must not be null"),
        (r#"{"nmae": "typo"}"#, "nmae"),
        (r#"{"name": "bot"} x"#, "body: trailing characters"),
        (
            r#"{"name": "bot"}{"name": "bot"}"#,
            "body: trailing characters",
        ),
        ("[]", "body: must be a JSON object"),
        ("null", "body: must be a JSON object"),
    ] {
        let r = raw(&gw, Method::POST, "/v1/auth/api-keys", body, jwt).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    }
    let path = format!("/v1/auth/api-keys/{}", trader.key_id);
    for (body, message) in [
        (r#"{"permissions": null}"#, "permissions: must not be null"),
        (r#"{"name": null}"#, "name: must not be null"),
        (
            r#"{"permissions": ["read"]} x"#,
            "body: trailing characters",
        ),
        ("[]", "body: must be a JSON object"),
    ] {
        let r = raw(&gw, Method::PATCH, &path, body, jwt).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    }
    let keys = trader.api_keys(&gw).await;
    assert_eq!(keys.len(), 1, "only the trader's own key exists: {keys:?}");
    assert_eq!(keys[0]["permissions"], json!(["read", "trade"]), "{keys:?}");
    assert_eq!(keys[0]["name"], "strict-keys", "{keys:?}");
}

#[tokio::test]
async fn admin_bodies_are_strict_and_change_nothing() {
    let gw = Gateway::start(&[("FS_ADMIN_TOKEN", ADMIN_TOKEN)]).await;
    let admin = |rb: reqwest::RequestBuilder| rb.bearer_auth(ADMIN_TOKEN);
    let good = market_body(1).to_string();
    let mut null_end = market_body(1);
    null_end["end_date"] = Value::Null;
    for (body, message) in [
        (format!("{good} x"), "body: trailing characters"),
        (format!("{good}{good}"), "body: trailing characters"),
        (format!("[{good}]"), "body: must be a JSON object"),
        (null_end.to_string(), "end_date: must not be null"),
    ] {
        let r = raw(&gw, Method::POST, "/admin/v1/markets", &body, admin).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    }
    let r = gw.get("/v1/markets").await;
    assert_eq!(
        r.body["data"],
        json!([]),
        "no market was created: {}",
        r.text
    );

    gw.create_market(&market_body(1)).await;
    let path = format!("/admin/v1/markets/{}?chain_id=56", condition_id(1));
    for (body, message) in [
        (r#"{"status": null}"#, "status: must not be null"),
        (
            r#"{"status": "PAUSED", "translations": null}"#,
            "translations: must not be null",
        ),
        (r#"{"status": "PAUSED"} x"#, "body: trailing characters"),
        (
            r#"{"status": "PAUSED", "chain_id": null}"#,
            "chain_id: must not be null",
        ),
        ("null", "body: must be a JSON object"),
    ] {
        let r = raw(&gw, Method::PATCH, &path, body, admin).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    }
    let r = gw
        .get(&format!("/v1/markets/{}?chain_id=56", condition_id(1)))
        .await;
    assert_eq!(
        r.body["status"], "OPEN",
        "the market is unchanged: {}",
        r.text
    );

    let wallet = "0x1111111111111111111111111111111111111111";
    let credit = json!({"wallet": wallet, "asset": "collateral", "amount": "5"}).to_string();
    for (body, message) in [
        (format!("{credit} x"), "body: trailing characters"),
        (format!("{credit}{credit}"), "body: trailing characters"),
    ] {
        let r = raw(&gw, Method::POST, "/admin/v1/balances", &body, admin).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    }
    // Credited once now, the balance is exactly what this credit added: the refused ones added nothing.
    let r = raw(&gw, Method::POST, "/admin/v1/balances", &credit, admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["available"], "5", "{}", r.text);
}
