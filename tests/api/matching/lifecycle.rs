//! Every change to a booked order goes through its market's matcher (docs/api.md 6.5 to 6.7):
//! cancels by hash, by filter and of everything, the on-chain cancel, market status changes,
//! `GTD` expiry, the reservation each of them gives back, and a restart that rebuilds every
//! book in the priority it had.

use serde_json::json;
use types::{OrderStatus, Outcome, Side};

use crate::harness::{condition_id, market_body, DEMO_CONDITION_ID};
use crate::trading::{assert_inline, gtd, item, limit, market_info, DEMO_EXCHANGE};

use super::{
    book, book_of, client_on, collateral, level, levels, place, place_with, shares, two_traders,
    until_rested, until_status, until_status_with, Db,
};

use Outcome::{No, Yes};
use Side::{Buy, Sell};

on_both_backends!(
    a_cancel_by_hash_answers_once_the_book_has_changed,
    a_cancel_by_filter_or_of_everything_answers_once_the_book_has_changed,
    an_onchain_cancel_takes_the_order_off_the_book,
    closing_a_market_cancels_its_resting_orders_and_reopening_trades_again,
    a_paused_market_refuses_new_orders_keeps_its_book_and_trades_again_once_reopened,
    a_gtd_order_expires_within_five_seconds_of_its_expiration,
    a_cancel_an_expiry_or_a_close_gives_the_reservation_back,
    a_restart_rebuilds_the_book_and_the_oldest_order_at_a_price_still_fills_first,
);

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn admin_market_path(condition_id: &str) -> String {
    format!("/admin/v1/markets/{condition_id}?chain_id=56")
}

async fn a_cancel_by_hash_answers_once_the_book_has_changed(db: Db) {
    let gw = db.start().await;
    let (buyer, _, market) = two_traders(&db, &gw, "cancel").await;
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

async fn a_cancel_by_filter_or_of_everything_answers_once_the_book_has_changed(db: Db) {
    let gw = db.start().await;
    gw.create_market(&market_body(903)).await;
    let other = market_info(&gw, &condition_id(903)).await;
    let (trader, bystander, demo) = two_traders(&db, &gw, "filter").await;
    trader
        .credit_asset(&gw, crate::trading::DEMO_YES, shares(100))
        .await;
    // On the demo market's book: a bid at 0.30 (BUY YES), an ask at 0.70 (BUY NO at 0.30), an
    // ask at 0.80 (SELL YES); another wallet's bid at 0.20; and a bid on another market.
    let buy_yes = trader.sign(&demo, &limit(Yes, Buy, 30, 500));
    let buy_no = trader.sign(&demo, &limit(No, Buy, 30, 500));
    let sell_yes = trader.sign(&demo, &limit(Yes, Sell, 80, 500));
    let elsewhere = trader.sign(&other, &limit(Yes, Buy, 30, 500));
    let theirs = bystander.sign(&demo, &limit(Yes, Buy, 20, 500));
    for order in [&buy_yes, &buy_no, &sell_yes, &elsewhere] {
        place(&trader, order).await;
        until_rested(&trader, order).await;
    }
    place(&bystander, &theirs).await;
    until_rested(&bystander, &theirs).await;

    let cancel = |body: serde_json::Value| {
        let (gw, trader) = (&gw, &trader);
        async move {
            let r = trader.post(gw, "/v1/orders/cancel", &body).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body
        }
    };
    // The trader's BUY YES orders of the demo market: judged by each order's own outcome and
    // side, so the BUY NO (an ask in YES terms) stays.
    let answer = cancel(json!({
        "condition_id": DEMO_CONDITION_ID, "chain_id": 56, "outcome": 1, "side": "BUY"
    }))
    .await;
    assert_eq!(
        answer,
        json!({"cancelled_count": 1, "order_hashes": [buy_yes.hash.to_string()], "not_cancelled": {}})
    );
    let b = book(&gw).await;
    assert_eq!(levels(&b, "bids"), vec![level("0.20", "5.00")]);
    assert_eq!(
        levels(&b, "asks"),
        vec![level("0.70", "5.00"), level("0.80", "5.00")]
    );
    // Every SELL of the trader, in any market.
    let answer = cancel(json!({"side": "SELL"})).await;
    assert_eq!(answer["order_hashes"], json!([sell_yes.hash.to_string()]));
    assert_eq!(
        levels(&book(&gw).await, "asks"),
        vec![level("0.70", "5.00")]
    );
    // Everything the trader still has, in both markets; the other wallet's bid stays.
    let answer = cancel(json!({})).await;
    let mut both = vec![buy_no.hash.to_string(), elsewhere.hash.to_string()];
    both.sort();
    assert_eq!(
        answer,
        json!({"cancelled_count": 2, "order_hashes": both, "not_cancelled": {}})
    );
    let b = book(&gw).await;
    assert!(levels(&b, "asks").is_empty(), "{b}");
    assert_eq!(levels(&b, "bids"), vec![level("0.20", "5.00")]);
    let b = book_of(&gw, &condition_id(903)).await;
    assert!(levels(&b, "bids").is_empty(), "{b}");
    for order in [&buy_yes, &buy_no, &sell_yes, &elsewhere] {
        let status = trader.api.get_order(order.hash).await.expect("an order");
        assert_eq!(status.status, OrderStatus::Cancelled);
    }
    assert_eq!(collateral(&gw, &trader).await, (shares(1_000), shares(0)));
}

async fn an_onchain_cancel_takes_the_order_off_the_book(db: Db) {
    let gw = db.start().await;
    let (buyer, _, market) = two_traders(&db, &gw, "onchain").await;
    let bid = buyer.sign(&market, &limit(Yes, Buy, 30, 500));
    place(&buyer, &bid).await;
    until_rested(&buyer, &bid).await;
    let tx = buyer
        .api
        .cancel_onchain(bid.hash)
        .await
        .expect("cancel-onchain");
    assert_eq!(tx.to.to_string(), DEMO_EXCHANGE);
    // No waiting: off the book, cancelled and released when the calldata is answered.
    assert!(levels(&book(&gw).await, "bids").is_empty());
    let view = buyer.api.get_order(bid.hash).await.expect("the order");
    assert_eq!(view.status, OrderStatus::Cancelled);
    assert_eq!(collateral(&gw, &buyer).await, (shares(1_000), shares(0)));
}

async fn closing_a_market_cancels_its_resting_orders_and_reopening_trades_again(db: Db) {
    let gw = db.start().await;
    let (buyer, seller, market) = two_traders(&db, &gw, "close").await;
    let bid = buyer.sign(&market, &limit(Yes, Buy, 30, 500));
    place(&buyer, &bid).await;
    until_rested(&buyer, &bid).await;
    let path = admin_market_path(DEMO_CONDITION_ID);
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

async fn a_paused_market_refuses_new_orders_keeps_its_book_and_trades_again_once_reopened(db: Db) {
    let gw = db.start().await;
    let (buyer, seller, market) = two_traders(&db, &gw, "pause").await;
    let ask = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &ask).await;
    until_rested(&seller, &ask).await;
    let path = admin_market_path(DEMO_CONDITION_ID);
    let r = gw.admin_patch(&path, &json!({"status": "PAUSED"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A crossing bid is refused inline, before it reaches the matcher.
    let crossing = buyer.sign(&market, &limit(Yes, Buy, 40, 500));
    let r = buyer.post_orders(&gw, &[item(&crossing)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_inline(
        &r.body["results"][0],
        "MARKET_NOT_ACTIVE",
        "Market is PAUSED",
    );
    assert_eq!(collateral(&gw, &buyer).await, (shares(1_000), shares(0)));
    // The resting ask stays, on the book and open.
    assert_eq!(
        levels(&book(&gw).await, "asks"),
        vec![level("0.40", "5.00")]
    );
    let view = seller.api.get_order(ask.hash).await.expect("the ask");
    assert_eq!(view.status, OrderStatus::Open);
    let r = gw.admin_patch(&path, &json!({"status": "OPEN"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let bid = buyer.sign(&market, &limit(Yes, Buy, 40, 500));
    place(&buyer, &bid).await;
    until_status(&seller, &ask, OrderStatus::Filled).await;
}

async fn a_gtd_order_expires_within_five_seconds_of_its_expiration(db: Db) {
    let gw = db.start().await;
    let (buyer, _, market) = two_traders(&db, &gw, "gtd").await;
    let bid = buyer.sign(&market, &gtd(Yes, Buy, 30, 500, now_secs() + 2));
    place(&buyer, &bid).await;
    until_rested(&buyer, &bid).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2 + 5 + 1);
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
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(levels(&book(&gw).await, "bids").is_empty());
}

async fn a_cancel_an_expiry_or_a_close_gives_the_reservation_back(db: Db) {
    let gw = db.start().await;
    let (buyer, seller, market) = two_traders(&db, &gw, "release").await;
    let start = shares(1_000);
    // A BUY of 10 at 0.30 reserves 3.00 of collateral.
    let (held, reserved) = (start - shares(3), shares(3));

    let cancelled = buyer.sign(&market, &limit(Yes, Buy, 30, 1_000));
    place(&buyer, &cancelled).await;
    until_rested(&buyer, &cancelled).await;
    assert_eq!(collateral(&gw, &buyer).await, (held, reserved));
    buyer
        .api
        .cancel_orders(&[cancelled.hash])
        .await
        .expect("cancel");
    assert_eq!(collateral(&gw, &buyer).await, (start, shares(0)));

    // Half filled at 0.40 (2.00 paid), then cancelled: the other 2.00 comes back.
    let partial = buyer.sign(&market, &limit(Yes, Buy, 40, 1_000));
    place(&buyer, &partial).await;
    until_rested(&buyer, &partial).await;
    let ask = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &ask).await;
    until_status(&buyer, &partial, OrderStatus::PartiallyFilled).await;
    assert_eq!(
        collateral(&gw, &buyer).await,
        (start - shares(4), shares(2))
    );
    buyer
        .api
        .cancel_orders(&[partial.hash])
        .await
        .expect("cancel");
    let start = start - shares(2);
    assert_eq!(collateral(&gw, &buyer).await, (start, shares(0)));

    let expiring = buyer.sign(&market, &gtd(Yes, Buy, 30, 1_000, now_secs() + 2));
    place(&buyer, &expiring).await;
    until_rested(&buyer, &expiring).await;
    assert_eq!(
        collateral(&gw, &buyer).await,
        (start - shares(3), shares(3))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2 + 5 + 1);
    while buyer
        .api
        .get_order(expiring.hash)
        .await
        .expect("the order")
        .status
        != OrderStatus::Expired
    {
        assert!(std::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(collateral(&gw, &buyer).await, (start, shares(0)));

    let closed = buyer.sign(&market, &limit(Yes, Buy, 30, 1_000));
    place(&buyer, &closed).await;
    until_rested(&buyer, &closed).await;
    let r = gw
        .admin_patch(
            &admin_market_path(DEMO_CONDITION_ID),
            &json!({"status": "CLOSED"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(collateral(&gw, &buyer).await, (start, shares(0)));
}

async fn a_restart_rebuilds_the_book_and_the_oldest_order_at_a_price_still_fills_first(db: Db) {
    let gw = db.start().await;
    let (buyer, seller, market) = two_traders(&db, &gw, "restart").await;
    let first = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &first).await;
    until_rested(&seller, &first).await;
    let second = seller.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&seller, &second).await;
    until_rested(&seller, &second).await;
    let before = book(&gw).await;
    let gw = db.kill_and_restart(gw).await;
    let after = book(&gw).await;
    assert_eq!(levels(&after, "asks"), levels(&before, "asks"));
    assert_eq!(after["seq"], before["seq"]);
    let (buyer_api, seller_api) = (client_on(&gw, &buyer), client_on(&gw, &seller));
    let bid = buyer.sign(&market, &limit(Yes, Buy, 40, 500));
    place_with(&buyer_api, &bid).await;
    until_status_with(&seller_api, &first, OrderStatus::Filled).await;
    assert_eq!(
        seller_api
            .get_order(second.hash)
            .await
            .expect("the second")
            .status,
        OrderStatus::Open
    );
}
