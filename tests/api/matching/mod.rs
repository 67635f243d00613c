//! The matching engine end to end (docs/api.md 6.7), every rule on SQLite and on PostgreSQL:
//! accepted orders trade on the real binary ([`trades`]); cancels, status changes, expiry and
//! restarts go through the market's matcher ([`lifecycle`]); and a gateway killed while two
//! wallets trade loses and duplicates nothing ([`crash`], checked from the database by
//! [`reconcile`]).
//!
//! Each rule is one `async fn rule(db: Db)`; [`on_both_backends!`] makes it two tests,
//! `sqlite::rule` and `postgres::rule` (ignored unless PostgreSQL is there, like every test that
//! needs it).

use std::path::Path;
use std::time::Duration;

use alloy_primitives::U256;
use client::{Client, Credentials, SignedOrder};
use serde_json::Value;
use sqlx::Connection;
use test_support::PgSchema;
use types::OrderStatus;

use crate::harness::{Gateway, DEMO_CONDITION_ID};
use crate::trading::{market_info, Trader, DEMO_YES, DEV_ENV};

/// For each rule `async fn rule(db: Db)` of the calling module, a test `sqlite::rule` and a test
/// `postgres::rule`.
macro_rules! on_both_backends {
    ($($rule:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $rule() {
                    super::$rule($crate::matching::Db::sqlite()).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs PostgreSQL"]
                async fn $rule() {
                    super::$rule($crate::matching::Db::postgres().await).await;
                }
            )+
        }
    };
}

mod crash;
mod lifecycle;
mod reconcile;
mod trades;

/// How long a test waits for the matcher to do something: generous, because a test machine runs
/// dozens of gateways at once (how fast a view follows is the benchmarks' business).
const PATIENCE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(10);

/// Where a test's gateway keeps its data: the default SQLite file in its working directory, or
/// a PostgreSQL schema of its own (dropped with the value).
pub(crate) struct Db {
    schema: Option<PgSchema>,
}

impl Db {
    pub(crate) fn sqlite() -> Db {
        Db { schema: None }
    }

    /// A schema of its own; fails the test when PostgreSQL is unreachable.
    pub(crate) async fn postgres() -> Db {
        Db {
            schema: Some(PgSchema::create().await),
        }
    }

    /// Dev mode and the admin API, and on PostgreSQL its `DATABASE_URL`.
    fn env(&self) -> Vec<(&str, &str)> {
        let mut env = DEV_ENV.to_vec();
        if let Some(schema) = &self.schema {
            env.push(("DATABASE_URL", schema.url.as_str()));
        }
        env
    }

    async fn start(&self) -> Gateway {
        Gateway::start(&self.env()).await
    }

    /// `kill -9` the gateway and start another on the same data.
    async fn kill_and_restart(&self, gw: Gateway) -> Gateway {
        let stopped = gw.kill();
        Gateway::start_in(stopped.dir, &self.env()).await
    }

    /// A trader whose API key has `read` and `trade`.
    async fn trader(&self, gw: &Gateway, label: &str) -> Trader {
        Trader::with_permissions(gw, &self.env(), label, &["read", "trade"]).await
    }

    /// A connection of its own to the database of the gateway that runs (or ran) in `dir`.
    async fn connect(&self, dir: &Path) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        let url = match &self.schema {
            Some(schema) => schema.url.clone(),
            None => format!("sqlite://{}", dir.join("data/gateway.db").display()),
        };
        sqlx::AnyConnection::connect(&url)
            .await
            .expect("connect to the gateway's database")
    }
}

/// One share of an 18-decimal token, in base units.
fn shares(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

/// `n` hundredths of one unit of collateral, in base units.
fn cents(n: u64) -> U256 {
    shares(n) / U256::from(100u8)
}

/// Two funded traders on the demo market: 1,000 collateral each, and 1,000 YES for the seller.
async fn two_traders(db: &Db, gw: &Gateway, label: &str) -> (Trader, Trader, client::MarketInfo) {
    let buyer = db.trader(gw, &format!("{label}-buyer")).await;
    let seller = db.trader(gw, &format!("{label}-seller")).await;
    buyer.credit(gw, shares(1_000)).await;
    seller.credit(gw, shares(1_000)).await;
    seller.credit_asset(gw, DEMO_YES, shares(1_000)).await;
    (buyer, seller, market_info(gw, DEMO_CONDITION_ID).await)
}

/// The trader's SDK client on another gateway (a restarted one listens on another port).
fn client_on(gw: &Gateway, t: &Trader) -> Client {
    Client::new(&gw.base_url, Credentials::api_key(&t.key_id, &t.secret)).expect("a client")
}

/// Places one order, which must be accepted.
async fn place(t: &Trader, order: &SignedOrder) {
    place_with(&t.api, order).await;
}

async fn place_with(api: &Client, order: &SignedOrder) {
    let placed = api
        .place_orders(std::slice::from_ref(order), None)
        .await
        .expect("placed");
    let results = &placed.body.results;
    assert!(
        matches!(results[0], client::OrderResult::Accepted(_)),
        "{results:?}"
    );
}

/// Waits until the order reaches `status`.
async fn until_status(t: &Trader, order: &SignedOrder, status: OrderStatus) {
    until_status_with(&t.api, order, status).await;
}

async fn until_status_with(api: &Client, order: &SignedOrder, status: OrderStatus) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = api
            .get_order(order.hash)
            .await
            .expect("GET the order")
            .status;
        if now == status {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {} is {now:?}, not {status:?}",
            order.hash
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the matcher has put the order on the book. A POST answers `OPEN` before
/// matching, so the status alone does not say it.
async fn until_rested(t: &Trader, order: &SignedOrder) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let view = t.api.get_order(order.hash).await.expect("GET the order");
        if view.book_added_at.is_some() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {} never rested",
            order.hash
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The demo market's book.
async fn book(gw: &Gateway) -> Value {
    book_of(gw, DEMO_CONDITION_ID).await
}

async fn book_of(gw: &Gateway, condition_id: &str) -> Value {
    let r = gw
        .get(&format!("/v1/markets/{condition_id}/book?chain_id=56"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// The book's levels on `side` (`bids` or `asks`) as (price, size) pairs.
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

/// `[(price, size)]` as the book writes levels.
fn level(price: &str, size: &str) -> (String, String) {
    (price.to_owned(), size.to_owned())
}

/// The trader's collateral as `GET /v1/positions` shows it: (available, reserved), base units.
async fn collateral(gw: &Gateway, t: &Trader) -> (U256, U256) {
    let r = t.get(gw, "/v1/positions").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let amount = |field: &str| {
        let text = r.body["collateral"][field]
            .as_str()
            .unwrap_or_else(|| panic!("collateral.{field} in {}", r.text));
        U256::from_str_radix(text, 10).expect("a decimal amount")
    };
    (amount("available"), amount("reserved"))
}
