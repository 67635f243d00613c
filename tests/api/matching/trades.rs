//! What trades and at what price (docs/api.md 6.7): plain, mint and merge matches at the resting
//! order's price, `MARKET` orders, price-time priority through partial fills, self-trade, each
//! side's fee, and the fills a wallet lists.

use std::collections::BTreeSet;

use client::OrderSpec;
use serde_json::{json, Value};
use types::{OrderStatus, OrderType, Outcome, Side};

use crate::harness::{condition_id, market_body, token_ids, DEMO_CONDITION_ID};
use crate::trading::{limit, market_info, DEMO_NO, DEMO_YES};

use super::{
    book, cents, collateral, level, levels, place, shares, two_traders, until_rested, until_status,
    Db,
};

use Outcome::{No, Yes};
use Side::{Buy, Sell};

on_both_backends!(
    a_crossing_buy_fills_at_the_resting_price_and_both_orders_settle,
    a_buy_yes_and_a_buy_no_that_add_up_to_one_mint,
    a_sell_yes_and_a_sell_no_that_add_up_to_at_most_one_merge,
    credited_tokens_merge_as_minted_ones_do,
    a_market_order_fills_what_it_can_at_once_within_its_price_and_cancels_the_rest,
    a_partially_filled_order_keeps_its_place_ahead_of_later_orders,
    an_order_never_trades_with_its_own_wallet_the_resting_one_is_cancelled,
    each_side_pays_its_fee_in_what_it_receives_and_fills_and_positions_show_it,
    fills_are_listed_newest_first_and_a_market_filter_keeps_one_market,
);

async fn a_crossing_buy_fills_at_the_resting_price_and_both_orders_settle(db: Db) {
    let gw = db.start().await;
    let (buyer, seller, market) = two_traders(&db, &gw, "plain").await;
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
    assert_eq!(levels(&b, "asks"), vec![level("0.40", "5.00")]);
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
    // The buyer paid the resting price, 0.40, not its own 0.50: 2.00 for 5 shares.
    assert_eq!(
        collateral(&gw, &buyer).await,
        (shares(1_000) - shares(2), shares(0))
    );
}

async fn a_buy_yes_and_a_buy_no_that_add_up_to_one_mint(db: Db) {
    let gw = db.start().await;
    let (yes_buyer, no_buyer, market) = two_traders(&db, &gw, "mint").await;
    let yes = yes_buyer.sign(&market, &limit(Yes, Buy, 60, 500));
    place(&yes_buyer, &yes).await;
    until_rested(&yes_buyer, &yes).await;
    let no = no_buyer.sign(&market, &limit(No, Buy, 45, 500));
    place(&no_buyer, &no).await;
    until_status(&no_buyer, &no, OrderStatus::Filled).await;
    until_status(&yes_buyer, &yes, OrderStatus::Filled).await;
    let b = book(&gw).await;
    assert!(
        levels(&b, "bids").is_empty() && levels(&b, "asks").is_empty(),
        "{b}"
    );
    // At the resting price: 0.60 for each YES, so 0.40 for each NO, one collateral a pair.
    let fills = no_buyer.get(&gw, "/v1/fills").await;
    assert_eq!(fills.body["data"][0]["price"], "0.40", "{}", fills.text);
    assert_eq!(
        collateral(&gw, &yes_buyer).await.0,
        shares(1_000) - shares(3)
    );
    assert_eq!(
        collateral(&gw, &no_buyer).await.0,
        shares(1_000) - shares(2)
    );
    let yes_position = &yes_buyer.get(&gw, "/v1/positions").await.body["data"];
    assert_eq!(
        (&yes_position[0]["outcome"], &yes_position[0]["size"]),
        (&json!(1), &json!("5.00"))
    );
    let no_position = &no_buyer.get(&gw, "/v1/positions").await.body["data"];
    let no_row = no_position
        .as_array()
        .expect("positions")
        .iter()
        .find(|p| p["outcome"] == 0)
        .expect("a NO position");
    assert_eq!(no_row["size"], "5.00");
}

/// Tokens credited by the operator were minted on chain, their collateral held by the
/// conditional-tokens contract: a merge of them frees it, as for pairs minted here.
async fn credited_tokens_merge_as_minted_ones_do(db: Db) {
    let gw = db.start().await;
    let yes_holder = db.trader(&gw, "credited-merge-yes").await;
    let no_holder = db.trader(&gw, "credited-merge-no").await;
    yes_holder.credit_asset(&gw, DEMO_YES, shares(10)).await;
    no_holder.credit_asset(&gw, DEMO_NO, shares(10)).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let sell_yes = yes_holder.sign(&market, &limit(Yes, Sell, 40, 1_000));
    place(&yes_holder, &sell_yes).await;
    until_rested(&yes_holder, &sell_yes).await;
    let sell_no = no_holder.sign(&market, &limit(No, Sell, 55, 1_000));
    place(&no_holder, &sell_no).await;
    until_status(&no_holder, &sell_no, OrderStatus::Filled).await;
    until_status(&yes_holder, &sell_yes, OrderStatus::Filled).await;
    // At the resting 0.40: 4.00 to the YES side, 6.00 to the NO side.
    assert_eq!(collateral(&gw, &yes_holder).await.0, shares(4));
    assert_eq!(collateral(&gw, &no_holder).await.0, shares(6));
    // The market goes on: a later order is matched.
    let again = yes_holder.sign(&market, &limit(Yes, Buy, 30, 500));
    place(&yes_holder, &again).await;
    until_rested(&yes_holder, &again).await;
}

async fn a_sell_yes_and_a_sell_no_that_add_up_to_at_most_one_merge(db: Db) {
    let gw = db.start().await;
    let yes_holder = db.trader(&gw, "merge-yes").await;
    let no_holder = db.trader(&gw, "merge-no").await;
    yes_holder.credit(&gw, shares(1_000)).await;
    no_holder.credit(&gw, shares(1_000)).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    // The pairs are minted here first, so the conditional-tokens contract holds their
    // collateral: 6.00 from the YES side, 4.00 from the NO side.
    let buy_yes = yes_holder.sign(&market, &limit(Yes, Buy, 60, 1_000));
    place(&yes_holder, &buy_yes).await;
    until_rested(&yes_holder, &buy_yes).await;
    let buy_no = no_holder.sign(&market, &limit(No, Buy, 40, 1_000));
    place(&no_holder, &buy_no).await;
    until_status(&no_holder, &buy_no, OrderStatus::Filled).await;

    // SELL YES at 0.45 rests as an ask at 0.45; SELL NO at 0.50 is a bid at 0.50 in YES
    // terms: 0.45 + 0.50 <= 1, they merge at the resting 0.45 (0.55 for the NO side).
    let sell_yes = yes_holder.sign(&market, &limit(Yes, Sell, 45, 1_000));
    place(&yes_holder, &sell_yes).await;
    until_rested(&yes_holder, &sell_yes).await;
    let sell_no = no_holder.sign(&market, &limit(No, Sell, 50, 1_000));
    place(&no_holder, &sell_no).await;
    until_status(&no_holder, &sell_no, OrderStatus::Filled).await;
    until_status(&yes_holder, &sell_yes, OrderStatus::Filled).await;

    let b = book(&gw).await;
    assert!(
        levels(&b, "bids").is_empty() && levels(&b, "asks").is_empty(),
        "{b}"
    );
    let fills = no_holder
        .get(
            &gw,
            &format!("/v1/fills?condition_id={DEMO_CONDITION_ID}&chain_id=56&limit=1"),
        )
        .await;
    let fill = &fills.body["data"][0];
    assert_eq!(
        (
            &fill["side"],
            &fill["outcome"],
            &fill["price"],
            &fill["size"]
        ),
        (&json!("SELL"), &json!(0), &json!("0.55"), &json!("10.00")),
        "{}",
        fills.text
    );
    // Paid 6.00 and got 4.50 back; paid 4.00 and got 5.50 back. Together the two wallets hold
    // all 2,000 again: the merge freed the 10.00 the mint had locked.
    let (yes_side, _) = collateral(&gw, &yes_holder).await;
    let (no_side, _) = collateral(&gw, &no_holder).await;
    assert_eq!(yes_side, shares(1_000) - shares(6) + cents(450));
    assert_eq!(no_side, shares(1_000) - shares(4) + cents(550));
    assert_eq!(yes_side + no_side, shares(2_000));
    let positions = yes_holder.get(&gw, "/v1/positions").await;
    assert_eq!(
        (
            &positions.body["data"][0]["size"],
            &positions.body["data"][0]["realized_pnl"]
        ),
        (&json!("0.00"), &json!("-1.50")),
        "{}",
        positions.text
    );
}

/// A `MARKET` spec: like `limit`, but never rests.
fn market_order(outcome: Outcome, side: Side, ticks: u8, hundredths: u64) -> OrderSpec {
    OrderSpec {
        order_type: OrderType::Market,
        ..limit(outcome, side, ticks, hundredths)
    }
}

async fn a_market_order_fills_what_it_can_at_once_within_its_price_and_cancels_the_rest(db: Db) {
    let gw = db.start().await;
    let (buyer, seller, market) = two_traders(&db, &gw, "market").await;
    let asks: Vec<_> = [40, 45, 60]
        .into_iter()
        .map(|ticks| seller.sign(&market, &limit(Yes, Sell, ticks, 500)))
        .collect();
    for ask in &asks {
        place(&seller, ask).await;
        until_rested(&seller, ask).await;
    }
    // 20 shares at up to 0.50: the 10 offered at 0.40 and 0.45 fill, the 0.60 ask is beyond
    // its price, and the other 10 are cancelled.
    let buy = buyer.sign(&market, &market_order(Yes, Buy, 50, 2_000));
    place(&buyer, &buy).await;
    until_status(&buyer, &buy, OrderStatus::Cancelled).await;
    let view = buyer
        .api
        .get_order(buy.hash)
        .await
        .expect("the MARKET order");
    assert_eq!(view.remaining_size.to_string(), "10.00");
    assert!(view.book_added_at.is_none(), "a MARKET order never rests");
    let b = book(&gw).await;
    assert_eq!(levels(&b, "asks"), vec![level("0.60", "5.00")]);
    assert!(levels(&b, "bids").is_empty(), "{b}");
    for (ask, status) in
        asks.iter()
            .zip([OrderStatus::Filled, OrderStatus::Filled, OrderStatus::Open])
    {
        let seen = seller.api.get_order(ask.hash).await.expect("an ask").status;
        assert_eq!(seen, status, "{}", ask.price);
    }
    let fills = buyer.get(&gw, "/v1/fills").await;
    let prices: BTreeSet<&str> = fills.body["data"]
        .as_array()
        .expect("fills")
        .iter()
        .map(|f| f["price"].as_str().expect("a price"))
        .collect();
    assert_eq!(prices, BTreeSet::from(["0.40", "0.45"]), "{}", fills.text);
    // 2.00 + 2.25 paid; the rest of the 10.00 reserved is back.
    assert_eq!(
        collateral(&gw, &buyer).await,
        (shares(1_000) - cents(425), shares(0))
    );
}

async fn a_partially_filled_order_keeps_its_place_ahead_of_later_orders(db: Db) {
    let gw = db.start().await;
    let (buyer, first_seller, market) = two_traders(&db, &gw, "priority").await;
    let second_seller = db.trader(&gw, "priority-second").await;
    second_seller.credit_asset(&gw, DEMO_YES, shares(100)).await;
    let first = first_seller.sign(&market, &limit(Yes, Sell, 40, 1_000));
    place(&first_seller, &first).await;
    until_rested(&first_seller, &first).await;
    let second = second_seller.sign(&market, &limit(Yes, Sell, 40, 1_000));
    place(&second_seller, &second).await;
    until_rested(&second_seller, &second).await;

    let status_of = |t: &crate::trading::Trader, o: &client::SignedOrder| {
        let (api, hash) = (t.api.clone(), o.hash);
        async move {
            let v = api.get_order(hash).await.expect("an ask");
            (v.status, v.remaining_size.to_string())
        }
    };
    for (round, expected) in [
        (
            1,
            [
                (OrderStatus::PartiallyFilled, "5.00"),
                (OrderStatus::Open, "10.00"),
            ],
        ),
        (
            2,
            [(OrderStatus::Filled, "0.00"), (OrderStatus::Open, "10.00")],
        ),
        (
            3,
            [
                (OrderStatus::Filled, "0.00"),
                (OrderStatus::PartiallyFilled, "5.00"),
            ],
        ),
    ] {
        let bid = buyer.sign(&market, &limit(Yes, Buy, 40, 500));
        place(&buyer, &bid).await;
        until_status(&buyer, &bid, OrderStatus::Filled).await;
        let seen = [
            status_of(&first_seller, &first).await,
            status_of(&second_seller, &second).await,
        ];
        let expected = expected.map(|(s, r)| (s, r.to_owned()));
        assert_eq!(seen, expected, "after bid {round}");
    }
}

async fn an_order_never_trades_with_its_own_wallet_the_resting_one_is_cancelled(db: Db) {
    let gw = db.start().await;
    let (trader, _, market) = two_traders(&db, &gw, "self").await;
    trader.credit_asset(&gw, DEMO_YES, shares(100)).await;
    let ask = trader.sign(&market, &limit(Yes, Sell, 40, 500));
    place(&trader, &ask).await;
    until_rested(&trader, &ask).await;
    let bid = trader.sign(&market, &limit(Yes, Buy, 50, 500));
    place(&trader, &bid).await;
    until_status(&trader, &ask, OrderStatus::Cancelled).await;
    until_rested(&trader, &bid).await;
    let b = book(&gw).await;
    assert_eq!(levels(&b, "bids"), vec![level("0.50", "5.00")]);
    assert!(levels(&b, "asks").is_empty(), "{b}");
    let fills = trader.get(&gw, "/v1/fills").await;
    assert_eq!(fills.body["data"], json!([]), "{}", fills.text);
}

async fn each_side_pays_its_fee_in_what_it_receives_and_fills_and_positions_show_it(db: Db) {
    let gw = db.start().await;
    let mut body = market_body(901);
    body["fee_rate_bps"] = json!(100);
    gw.create_market(&body).await;
    let (yes_token, _) = token_ids(901);
    let market = market_info(&gw, &condition_id(901)).await;
    let buyer = db.trader(&gw, "fees-buyer").await;
    let seller = db.trader(&gw, "fees-seller").await;
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

async fn fills_are_listed_newest_first_and_a_market_filter_keeps_one_market(db: Db) {
    let gw = db.start().await;
    gw.create_market(&market_body(902)).await;
    let (other_yes, _) = token_ids(902);
    let other = market_info(&gw, &condition_id(902)).await;
    let (buyer, seller, demo) = two_traders(&db, &gw, "fills").await;
    seller.credit_asset(&gw, &other_yes, shares(100)).await;
    // Three trades, one after the other: 5 shares on the demo market, 6 on the other, 7 on
    // the demo market again.
    for (market, hundredths) in [(&demo, 500), (&other, 600), (&demo, 700)] {
        let ask = seller.sign(market, &limit(Yes, Sell, 50, hundredths));
        place(&seller, &ask).await;
        until_rested(&seller, &ask).await;
        let bid = buyer.sign(market, &limit(Yes, Buy, 50, hundredths));
        place(&buyer, &bid).await;
        until_status(&buyer, &bid, OrderStatus::Filled).await;
    }
    let listed = |body: &Value| -> Vec<(String, String)> {
        body["data"]
            .as_array()
            .expect("fills")
            .iter()
            .map(|f| {
                (
                    f["condition_id"].as_str().expect("condition_id").to_owned(),
                    f["size"].as_str().expect("size").to_owned(),
                )
            })
            .collect()
    };
    let fill = |c: &str, size: &str| (c.to_owned(), size.to_owned());
    let r = buyer.get(&gw, "/v1/fills").await;
    assert_eq!(
        listed(&r.body),
        vec![
            fill(DEMO_CONDITION_ID, "7.00"),
            fill(&condition_id(902), "6.00"),
            fill(DEMO_CONDITION_ID, "5.00"),
        ],
        "{}",
        r.text
    );
    let filter = format!("condition_id={DEMO_CONDITION_ID}&chain_id=56");
    let r = buyer.get(&gw, &format!("/v1/fills?{filter}")).await;
    assert_eq!(
        listed(&r.body),
        vec![
            fill(DEMO_CONDITION_ID, "7.00"),
            fill(DEMO_CONDITION_ID, "5.00")
        ],
        "{}",
        r.text
    );
    // One at a time, the filter kept across pages.
    let first = buyer.get(&gw, &format!("/v1/fills?{filter}&limit=1")).await;
    assert_eq!(listed(&first.body), vec![fill(DEMO_CONDITION_ID, "7.00")]);
    assert_eq!(first.body["has_more"], true, "{}", first.text);
    let cursor = first.body["next_cursor"].as_str().expect("a cursor");
    let second = buyer
        .get(&gw, &format!("/v1/fills?{filter}&limit=1&cursor={cursor}"))
        .await;
    assert_eq!(
        listed(&second.body),
        vec![fill(DEMO_CONDITION_ID, "5.00")],
        "{}",
        second.text
    );
    assert_eq!(second.body["has_more"], false, "{}", second.text);
}
