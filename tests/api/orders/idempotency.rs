//! `Idempotency-Key` on `POST /v1/orders` (docs/api.md 1.7): a replay is the first response's bytes
//! with the mark, one key runs once under concurrency, another body is a conflict, and replays
//! survive a restart.

use client::{SignedOrder, StatusFilter};
use serde_json::json;
use types::{Outcome, Side};

use crate::harness::{assert_envelope, Gateway, Resp, DEMO_CONDITION_ID};
use crate::trading::{
    assert_accepted, assert_inline, dev_gateway, item, limit, market_info, Trader, DEV_ENV,
};

use super::{accepted, assert_not_stored, funded, hashes, list_all, place_one, set, shares};

use Outcome::Yes;
use Side::Buy;

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
