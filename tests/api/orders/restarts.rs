//! Durability: orders placed before a graceful restart or a SIGKILL are all there after it, with
//! their hashes and reservations.

use client::{Client, Credentials, SignedOrder, StatusFilter};
use types::{Outcome, Side};

use crate::harness::Gateway;
use crate::trading::{assert_inline, item, limit, DEV_ENV};

use super::{accepted, funded, hashes, list_all, set};

use Outcome::Yes;
use Side::Buy;

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
