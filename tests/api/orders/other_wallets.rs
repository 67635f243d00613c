//! Another wallet's order (docs/api.md 6.4 to 6.6): not readable, cancellable or cancellable on
//! chain, and indistinguishable from an unknown hash.

use serde_json::json;
use types::{OrderStatus, Outcome, Side};

use crate::harness::assert_envelope;
use crate::trading::{limit, Trader};

use super::funded;

use Outcome::Yes;
use Side::Buy;

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
    // Not found, exactly as an unknown hash is.
    assert_eq!(
        r.body,
        json!({
            "cancelled_count": 0,
            "order_hashes": [],
            "not_cancelled": {order.hash.to_string(): "ORDER_NOT_FOUND"}
        })
    );
    let r = b.post(&gw, "/v1/orders/cancel", &json!({})).await;
    assert_eq!(
        r.body,
        json!({"cancelled_count": 0, "order_hashes": [], "not_cancelled": {}})
    );
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
