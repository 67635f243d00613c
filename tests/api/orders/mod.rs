//! The order routes end to end (docs/api.md 1.4, 2, 6 and 7): every inline code of docs/api.md
//! 6.2 with a real signed order, the request-level errors, idempotency, reservations, other
//! wallets, listing, cancels, cancel-onchain calldata, a restart, one happy path on PostgreSQL,
//! and the wallet's fills and positions.
//!
//! Happy paths go through the bot SDK (`client`); bad inputs are raw HTTP, built from what the
//! SDK signs and altered after signing (re-signed where the rule under test must be the only
//! one broken). Each test has its own dev-mode gateway and wallets, so they run in parallel.
//!
//! One file per rule family; this module holds what they share.

mod cancels;
mod fills_positions;
mod idempotency;
mod listing;
mod metrics;
mod other_wallets;
mod place;
mod postgres;
mod request_errors;
mod reservations;
mod restarts;

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::U256;
use client::{Client, OrderResult, OrderView, OrdersQuery, StatusFilter};
use serde_json::Value;
use types::OrderHash;

use crate::harness::{assert_envelope, Gateway, DEMO_CONDITION_ID};
use crate::trading::{dev_gateway, market_info, Trader};

/// One share of an 18-decimal token, in base units.
fn shares(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A dev gateway, a trader with read+trade and plenty of collateral, and the demo market.
pub(crate) async fn funded(label: &str) -> (Gateway, Trader, client::MarketInfo) {
    let gw = dev_gateway().await;
    let trader = Trader::new(&gw, label).await;
    trader.credit(&gw, shares(1_000_000)).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    (gw, trader, market)
}

/// The single result of a one-item `POST /v1/orders`.
async fn place_one(gw: &Gateway, trader: &Trader, item: Value) -> Value {
    let r = trader.post_orders(gw, &[item]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let results = r.body["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{}", r.text);
    results[0].clone()
}

/// A refused order is not stored: its hash is unknown to the owner too.
async fn assert_not_stored(gw: &Gateway, trader: &Trader, hash: &str) {
    let r = trader.get(gw, &format!("/v1/orders/{hash}")).await;
    assert_envelope(&r, 404, "ORDER_NOT_FOUND", "No order with this hash");
}

fn accepted(result: &OrderResult) -> &client::AcceptedView {
    match result {
        OrderResult::Accepted(p) => p,
        OrderResult::Refused { error } => panic!("refused: {error:?}"),
    }
}

async fn list_all(api: &Client, status: StatusFilter) -> Vec<OrderView> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = api
            .list_orders(&OrdersQuery {
                status: Some(status),
                cursor: cursor.take(),
                limit: Some(100),
                ..OrdersQuery::default()
            })
            .await
            .expect("list orders");
        out.extend(page.data);
        match page.next_cursor {
            Some(c) if page.has_more => cursor = Some(c),
            _ => return out,
        }
    }
}

fn hashes(views: &[OrderView]) -> HashSet<OrderHash> {
    views.iter().map(|v| v.order_hash).collect()
}

fn set(hs: &[OrderHash]) -> HashSet<OrderHash> {
    hs.iter().copied().collect()
}
