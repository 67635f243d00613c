//! The matching engine end to end (docs/api.md 6.7): accepted orders trade on the real binary,
//! cancels and status changes go through the market's matcher, GTD orders expire, and a
//! restart rebuilds every book in the priority it had.

use std::time::Duration;

use client::{Client, Credentials, SignedOrder};
use serde_json::{json, Value};
use types::{OrderStatus, Outcome, Side};

use crate::harness::{condition_id, market_body, token_ids, Gateway, DEMO_CONDITION_ID};
use crate::trading::{dev_gateway, gtd, limit, market_info, Trader, DEMO_YES, DEV_ENV};

use Outcome::{No, Yes};
use Side::{Buy, Sell};

/// One share of an 18-decimal token, in base units.
fn shares(n: u64) -> alloy_primitives::U256 {
    alloy_primitives::U256::from(n)
        * alloy_primitives::U256::from(10u64).pow(alloy_primitives::U256::from(18u8))
}

/// Two funded traders on the demo market: collateral for both, YES tokens for the seller.
async fn two_traders(gw: &Gateway, label: &str) -> (Trader, Trader, client::MarketInfo) {
    let buyer = Trader::new(gw, &format!("{label}-buyer")).await;
    let seller = Trader::new(gw, &format!("{label}-seller")).await;
    buyer.credit(gw, shares(1_000)).await;
    seller.credit(gw, shares(1_000)).await;
    seller.credit_asset(gw, DEMO_YES, shares(1_000)).await;
    (buyer, seller, market_info(gw, DEMO_CONDITION_ID).await)
}

async fn place(t: &Trader, order: &SignedOrder) {
    let placed = t
        .api
        .place_orders(std::slice::from_ref(order), None)
        .await
        .expect("placed");
    let results = &placed.body.results;
    assert!(
        matches!(results[0], client::OrderResult::Accepted(_)),
        "{results:?}"
    );
}

/// Waits (up to 2 s, the contract allows 1 s for a view) for the order to reach `status`.
async fn until_status(t: &Trader, order: &SignedOrder, status: OrderStatus) {
    let mut last = None;
    for _ in 0..200 {
        let now = t
            .api
            .get_order(order.hash)
            .await
            .expect("GET the order")
            .status;
        if now == status {
            return;
        }
        last = Some(now);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("order {} is {last:?}, not {status:?}", order.hash);
}

/// Waits (up to 2 s) until the matcher has put the order on the book. A POST answers `OPEN`
/// before matching, so the status alone does not say it.
async fn until_rested(t: &Trader, order: &SignedOrder) {
    for _ in 0..200 {
        let view = t.api.get_order(order.hash).await.expect("GET the order");
        if view.book_added_at.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("order {} never rested", order.hash);
}

async fn book(gw: &Gateway) -> Value {
    let r = gw
        .get(&format!("/v1/markets/{DEMO_CONDITION_ID}/book?chain_id=56"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// The book's levels as (price, size) pairs.
fn levels(book: &Value, side: &str) -> Vec<(String, String)> {
    book[side]
        .as_array()
        .expect("levels")
        .iter()
        .map(|l| {
            (
                l["price"].as_str().unwrap_or_default().to_owned(),
                l["remainingSize"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_crossing_buy_fills_at_the_resting_price_and_both_orders_settle() {
    let gw = dev_gateway().await;
    let (buyer, seller, market) = two_traders(&gw, "plain").await;
    let ask = seller.sign(&market, &limit(Yes, Sell, 40, 1_000));
    place(&seller, &ask).await;
    until_rested(&seller, &ask).await;
    let bid = buyer.sign(&market, &limit(Yes, Buy, 50, 500));
    place(&buyer, &bid).await;
    until_status(&buyer, &bid, OrderStatus::Filled).await;
    until_status(&seller, &ask, OrderStatus::PartiallyFilled).await;
    let seller_view = seller.api.get_order(ask.hash).await.expect("the ask");
    assert_eq!(seller_view.remaining_size.to_string(), "5.00");
    let b = book(&gw).await;
    assert_eq!(
        levels(&b, "asks"),
        vec![("0.40".to_owned(), "5.00".to_owned())]
    );
    assert!(levels(&b, "bids").is_empty(), "{b}");
    assert!(b["seq"].as_u64().is_some_and(|s| s >= 2), "{b}");
    let trades = gw
        .get(&format!(
            "/v1/markets/{DEMO_CONDITION_ID}/trades?chain_id=56"
        ))
        .await;
    let data = trades.body["data"].as_array().expect("trades");
    assert_eq!(data.len(), 1, "{}", trades.text);
    assert_eq!(data[0]["price"], "0.40");
    assert_eq!(data[0]["size"], "5.00");
    assert_eq!(data[0]["side"], "BUY");
}

#[tokio::test]
async fn a_buy_yes_and_a_buy_no_that_add_up_to_one_mint() {
    let gw = dev_gateway().await;
    let (yes_buyer, no_buyer, market) = two_traders(&gw, "mint").await;
    let yes = yes_buyer.sign(&market, &limit(Yes, Buy, 60, 500));
    place(&yes_buyer, &yes).await;
    let no = no_buyer.sign(&market, &limit(No, Buy, 45, 500));
    place(&no_buyer, &no).await;
    until_status(&no_buyer, &no, OrderStatus::Filled).await;
    until_status(&yes_buyer, &yes, OrderStatus::Filled).await;
    let b = book(&gw).await;
    assert!(
        levels(&b, "bids").is_empty() && levels(&b, "asks").is_empty(),
        "{b}"
    );
}

#[tokio::test]
async fn an_order_never_trades_with_its_own_wallet_the_resting_one_is_cancelled() {
    let gw = dev_gateway().await;
    let (trader, _, market) = two_traders(&gw, "self").await;
    trader.credit_asset(&gw, DEMO_YES, shares(100)).await;
    let ask = trader.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&trader, &ask).await;
    until_rested(&trader, &ask).await;
    let bid = trader.sign(&market, &limit(Yes, Buy, 50, 500));
    place(&trader, &bid).await;
    until_status(&trader, &ask, OrderStatus::Cancelled).await;
    until_rested(&trader, &bid).await;
    assert_eq!(
        levels(&book(&gw).await, "bids"),
        vec![("0.50".to_owned(), "5.00".to_owned())]
    );
}

#[tokio::test]
async fn a_cancel_answers_once_the_book_has_changed() {
    let gw = dev_gateway().await;
    let (buyer, _, market) = two_traders(&gw, "cancel").await;
    let bid = buyer.sign(&market, &limit(Yes, Buy, 30, 500));
    place(&buyer, &bid).await;
    until_rested(&buyer, &bid).await;
    assert_eq!(levels(&book(&gw).await, "bids").len(), 1);
    let resp = buyer.api.cancel_orders(&[bid.hash]).await.expect("cancel");
    assert_eq!(resp.order_hashes, vec![bid.hash]);
    // No waiting: the cancel answered after its matcher committed and published.
    assert!(levels(&book(&gw).await, "bids").is_empty());
    assert_eq!(
        buyer
            .api
            .get_order(bid.hash)
            .await
            .expect("the order")
            .status,
        OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn closing_a_market_cancels_its_resting_orders_and_reopening_trades_again() {
    let gw = dev_gateway().await;
    let (buyer, seller, market) = two_traders(&gw, "close").await;
    let bid = buyer.sign(&market, &limit(Yes, Buy, 30, 500));
    place(&buyer, &bid).await;
    until_rested(&buyer, &bid).await;
    let path = format!("/admin/v1/markets/{DEMO_CONDITION_ID}?chain_id=56");
    let r = gw.admin_patch(&path, &json!({"status": "CLOSED"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The status reached the book before the answer.
    assert_eq!(
        buyer
            .api
            .get_order(bid.hash)
            .await
            .expect("the order")
            .status,
        OrderStatus::Cancelled
    );
    assert!(levels(&book(&gw).await, "bids").is_empty());
    let r = gw.admin_patch(&path, &json!({"status": "OPEN"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ask = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &ask).await;
    let bid = buyer.sign(&market, &limit(Yes, Buy, 40, 500));
    place(&buyer, &bid).await;
    until_status(&buyer, &bid, OrderStatus::Filled).await;
}

#[tokio::test]
async fn a_paused_market_keeps_its_book_and_matches_nothing_until_it_reopens() {
    let gw = dev_gateway().await;
    let (buyer, seller, market) = two_traders(&gw, "pause").await;
    let ask = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &ask).await;
    until_rested(&seller, &ask).await;
    let path = format!("/admin/v1/markets/{DEMO_CONDITION_ID}?chain_id=56");
    let r = gw.admin_patch(&path, &json!({"status": "PAUSED"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(levels(&book(&gw).await, "asks").len(), 1);
    let r = gw.admin_patch(&path, &json!({"status": "OPEN"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let bid = buyer.sign(&market, &limit(Yes, Buy, 40, 500));
    place(&buyer, &bid).await;
    until_status(&seller, &ask, OrderStatus::Filled).await;
}

#[tokio::test]
async fn a_gtd_order_expires_within_five_seconds_of_its_expiration() {
    let gw = dev_gateway().await;
    let (buyer, _, market) = two_traders(&gw, "gtd").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let bid = buyer.sign(&market, &gtd(Yes, Buy, 30, 500, now + 2));
    place(&buyer, &bid).await;
    until_rested(&buyer, &bid).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(2 + 5 + 1);
    loop {
        let status = buyer
            .api
            .get_order(bid.hash)
            .await
            .expect("the order")
            .status;
        if status == OrderStatus::Expired {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(levels(&book(&gw).await, "bids").is_empty());
}

#[tokio::test]
async fn a_restart_rebuilds_the_book_and_the_oldest_order_at_a_price_still_fills_first() {
    let gw = dev_gateway().await;
    let (buyer, seller, market) = two_traders(&gw, "restart").await;
    let first = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &first).await;
    until_rested(&seller, &first).await;
    let second = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &second).await;
    until_rested(&seller, &second).await;
    let before = book(&gw).await;
    let dir = gw.kill().dir;
    let gw = Gateway::start_in(dir, &DEV_ENV).await;
    let after = book(&gw).await;
    assert_eq!(levels(&after, "asks"), levels(&before, "asks"));
    assert_eq!(after["seq"], before["seq"]);
    let reconnect = |t: &Trader| {
        Client::new(&gw.base_url, Credentials::api_key(&t.key_id, &t.secret)).expect("a client")
    };
    let (buyer_api, seller_api) = (reconnect(&buyer), reconnect(&seller));
    let bid = buyer.sign(&market, &limit(Yes, Buy, 40, 500));
    buyer_api
        .place_orders(std::slice::from_ref(&bid), None)
        .await
        .expect("placed");
    for _ in 0..200 {
        if seller_api
            .get_order(first.hash)
            .await
            .expect("the first")
            .status
            == OrderStatus::Filled
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        seller_api
            .get_order(first.hash)
            .await
            .expect("the first")
            .status,
        OrderStatus::Filled
    );
    assert_eq!(
        seller_api
            .get_order(second.hash)
            .await
            .expect("the second")
            .status,
        OrderStatus::Open
    );
}

#[tokio::test]
async fn each_side_pays_its_fee_in_what_it_receives_and_fills_and_positions_show_it() {
    let gw = dev_gateway().await;
    let mut body = market_body(901);
    body["fee_rate_bps"] = json!(100);
    gw.create_market(&body).await;
    let (yes_token, _) = token_ids(901);
    let market = market_info(&gw, &condition_id(901)).await;
    let buyer = Trader::new(&gw, "fees-buyer").await;
    let seller = Trader::new(&gw, "fees-seller").await;
    buyer.credit(&gw, shares(1_000)).await;
    seller.credit(&gw, shares(1_000)).await;
    seller.credit_asset(&gw, &yes_token, shares(10)).await;
    let ask = seller.sign(&market, &limit(Yes, Sell, 40, 1_000));
    place(&seller, &ask).await;
    until_rested(&seller, &ask).await;
    let bid = buyer.sign(&market, &limit(Yes, Buy, 40, 1_000));
    place(&buyer, &bid).await;
    until_status(&buyer, &bid, OrderStatus::Filled).await;

    // The buyer pays 100 bps * min(0.40, 0.60) * 10 / 0.40 = 0.1 YES; the seller
    // 100 bps * 0.40 * 10 = 0.04 collateral.
    let fills = buyer.get(&gw, "/v1/fills").await;
    assert_eq!(fills.status, 200, "{}", fills.text);
    let fill = &fills.body["data"][0];
    assert_eq!(
        (
            &fill["side"],
            &fill["price"],
            &fill["size"],
            &fill["role"],
            &fill["status"]
        ),
        (
            &json!("BUY"),
            &json!("0.40"),
            &json!("10.00"),
            &json!("TAKER"),
            &json!("CONFIRMED")
        )
    );
    assert_eq!(fill["fee"], "100000000000000000");
    let fills = seller.get(&gw, "/v1/fills").await;
    let fill = &fills.body["data"][0];
    assert_eq!(
        (&fill["side"], &fill["role"]),
        (&json!("SELL"), &json!("MAKER"))
    );
    assert_eq!(fill["fee"], "40000000000000000");

    let positions = buyer.get(&gw, "/v1/positions").await;
    assert_eq!(positions.status, 200, "{}", positions.text);
    let yes = &positions.body["data"][0];
    assert_eq!(yes["token_id"], json!(yes_token));
    assert_eq!(yes["size"], "9.90");
    // 4.00 paid for 9.90 YES.
    assert_eq!(yes["avg_price"], "0.4040");
    assert_eq!(
        positions.body["collateral"],
        json!({"available": "996000000000000000000", "reserved": "0"})
    );
    let positions = seller.get(&gw, "/v1/positions").await;
    assert_eq!(
        positions.body["collateral"],
        json!({"available": "1003960000000000000000", "reserved": "0"})
    );
    // Sold everything at 0.40 less the fee, bought for nothing (credited): 3.96 realised.
    assert_eq!(positions.body["data"][0]["size"], "0.00");
    assert_eq!(positions.body["data"][0]["realized_pnl"], "3.96");
}
