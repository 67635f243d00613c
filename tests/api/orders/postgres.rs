//! One happy path of the order routes on PostgreSQL: place, replay, list, get and cancel.

use client::{ClientError, OrderResult, StatusFilter};
use types::{Outcome, Side};

use crate::harness::{assert_envelope, Gateway, DEMO_CONDITION_ID};
use crate::trading::{hash_of, limit, market_info, Trader};

use super::{hashes, list_all, set};

use Outcome::{No, Yes};
use Side::Buy;

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_place_list_get_and_cancel() {
    let schema = test_support::PgSchema::create().await;
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
