//! `POST /v1/orders/cancel` by hashes, market, outcome and side or everything, and
//! `POST /v1/orders/{hash}/cancel-onchain` with the exchange's calldata (docs/api.md 6.5, 6.6).

use std::collections::{BTreeMap, HashSet};

use alloy_primitives::{hex, keccak256, U256};
use alloy_sol_types::SolCall;
use client::{SignedOrder, StatusFilter};
use serde_json::json;
use sqlx::Connection;
use types::{ChainId, OrderStatus, Outcome, Side};

use crate::harness::{condition_id, market_body, token_ids, Gateway, DEMO_CONDITION_ID};
use crate::trading::{
    demo, gtd, hash_of, limit, market_info, Trader, DEMO_EXCHANGE, DEMO_NO, DEMO_YES, DEV_ENV,
};

use super::{funded, hashes, list_all, now_secs, set, shares};

use Outcome::{No, Yes};
use Side::{Buy, Sell};

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
    assert_eq!(
        resp.not_cancelled,
        BTreeMap::from([(unknown, "ORDER_NOT_FOUND".to_owned())])
    );
    // Cancelling again cancels nothing: only orders actually cancelled are reported.
    let again = a.api.cancel_orders(&[orders[0].hash]).await.unwrap();
    assert_eq!(again.cancelled_count, 0);
    assert!(again.order_hashes.is_empty());
}

#[tokio::test]
async fn cancel_by_hashes_answers_why_each_listed_hash_was_not_cancelled() {
    let (gw, a, market) = funded("cancel-reasons").await;
    let b = Trader::new(&gw, "cancel-reasons-other").await;
    b.credit(&gw, shares(1_000)).await;
    let mine: Vec<SignedOrder> = (0..3)
        .map(|i| a.sign(&market, &limit(Yes, Buy, 30 + i, 1_000)))
        .collect();
    a.api.place_orders(&mine, None).await.unwrap();
    let theirs = b.sign(&market, &limit(Yes, Buy, 40, 1_000));
    b.api
        .place_orders(std::slice::from_ref(&theirs), None)
        .await
        .unwrap();
    a.api.cancel_orders(&[mine[1].hash]).await.unwrap();
    // Matching does not exist yet: the order is filled behind the stopped gateway's back.
    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    sqlx::any::install_default_drivers();
    let db = format!(
        "sqlite://{}",
        stopped.dir.path().join("data/gateway.db").display()
    );
    let mut conn = sqlx::AnyConnection::connect(&db)
        .await
        .expect("the database");
    sqlx::query(
        "UPDATE orders SET status = 'FILLED', remaining_hundredths = 0 WHERE order_hash = $1",
    )
    .bind(mine[2].hash.to_string())
    .execute(&mut conn)
    .await
    .expect("fill the order");
    conn.close().await.expect("close");
    let gw = Gateway::start_in(stopped.dir, &DEV_ENV).await;

    let unknown = format!("0x{}", "cd".repeat(32));
    let listed = [
        mine[0].hash.to_string(),
        unknown.clone(),
        theirs.hash.to_string(),
        mine[1].hash.to_string(),
        mine[2].hash.to_string(),
    ];
    let r = a
        .post(&gw, "/v1/orders/cancel", &json!({"order_hashes": listed}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Another wallet's order is not found, exactly as an unknown hash.
    assert_eq!(
        r.body,
        json!({
            "cancelled_count": 1,
            "order_hashes": [mine[0].hash.to_string()],
            "not_cancelled": {
                unknown: "ORDER_NOT_FOUND",
                theirs.hash.to_string(): "ORDER_NOT_FOUND",
                mine[1].hash.to_string(): "ORDER_ALREADY_CANCELLED",
                mine[2].hash.to_string(): "ORDER_ALREADY_FILLED",
            }
        })
    );
    // The other wallet's order is still open.
    let r = b.get(&gw, &format!("/v1/orders/{}", theirs.hash)).await;
    assert_eq!(r.body["status"], "OPEN", "{}", r.text);
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
        json!({
            "cancelled_count": 1,
            "order_hashes": [sell_no.hash.to_string()],
            "not_cancelled": {}
        })
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
        .map(|h| h.as_str().unwrap().to_owned())
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
        json!({
            "cancelled_count": 1,
            "order_hashes": [sell_yes.hash.to_string()],
            "not_cancelled": {}
        })
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
