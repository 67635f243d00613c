//! `GET /v1/fills` and `GET /v1/positions` (docs/api.md 6.8, 6.9): the tier and the `read`
//! permission, the query's errors, an empty account, and collateral and tokens as credited and
//! reserved, on SQLite and on PostgreSQL. Fills made by trades are the matching engine's
//! end-to-end tests; the service tests (`crates/orders/tests/service_fills_positions.rs`)
//! cover pages of stored fills.

use alloy_primitives::U256;
use reqwest::Method;
use serde_json::json;

use crate::harness::{assert_envelope, Gateway, DEMO_CONDITION_ID};
use crate::trading::{dev_gateway, item, limit, market_info, Trader, DEMO_YES, DEV_ENV};
use types::{Outcome, Side};

use super::{funded, place_one, shares};

const EMPTY_FILLS: &str = r#"{"data":[],"next_cursor":null,"has_more":false}"#;
const EMPTY_POSITIONS: &str = r#"{"data":[],"collateral":{"available":"0","reserved":"0"}}"#;

#[tokio::test]
async fn fills_and_positions_need_a_credential_and_the_read_permission() {
    let gw = dev_gateway().await;
    for path in ["/v1/fills", "/v1/positions"] {
        let r = gw.get(path).await;
        assert_envelope(&r, 401, "AUTH_MISSING", "Authentication required");
    }
    let trader = Trader::with_permissions(&gw, &DEV_ENV, "fills-trade-only", &["trade"]).await;
    for path in ["/v1/fills", "/v1/positions"] {
        let r = trader.get(&gw, path).await;
        assert_envelope(&r, 403, "FORBIDDEN", "lacks the read permission");
    }
    // The wallet's JWT has every permission.
    for (path, empty) in [
        ("/v1/fills", EMPTY_FILLS),
        ("/v1/positions", EMPTY_POSITIONS),
    ] {
        let r = gw
            .send(gw.request(Method::GET, path).bearer_auth(&trader.jwt))
            .await;
        assert_eq!((r.status, r.text.as_str()), (200, empty), "{path}");
    }
}

#[tokio::test]
async fn an_empty_account_has_no_fills_and_no_positions() {
    let gw = dev_gateway().await;
    let reader = Trader::with_permissions(&gw, &DEV_ENV, "fills-empty", &["read"]).await;
    let r = reader.get(&gw, "/v1/fills").await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_FILLS));
    assert!(r
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    let market = format!("condition_id={DEMO_CONDITION_ID}&chain_id=56");
    let r = reader
        .get(&gw, &format!("/v1/fills?{market}&limit=100"))
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_FILLS));
    let r = reader.get(&gw, "/v1/positions").await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_POSITIONS));
    let r = reader.get(&gw, &format!("/v1/positions?{market}")).await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_POSITIONS));
    // HEAD: the same status and headers, no body.
    for path in ["/v1/fills", "/v1/positions"] {
        let r = gw.send(reader.keyed(gw.request(Method::HEAD, path))).await;
        assert_eq!((r.status, r.text.as_str()), (200, ""), "HEAD {path}");
    }
}

#[tokio::test]
async fn a_bad_cursor_limit_or_half_a_market_is_400_naming_the_parameter() {
    let gw = dev_gateway().await;
    let reader = Trader::with_permissions(&gw, &DEV_ENV, "fills-bad-query", &["read"]).await;
    let chain_zero = format!("/v1/positions?condition_id={DEMO_CONDITION_ID}&chain_id=0");
    let cases = [
        (
            "/v1/fills?cursor=bm9wZQ",
            "cursor: is not a cursor this API returned",
        ),
        (
            "/v1/fills?cursor=%21%21",
            "cursor: is not a cursor this API returned",
        ),
        (
            "/v1/fills?limit=0",
            "limit: must be an integer from 1 to 100",
        ),
        (
            "/v1/fills?limit=101",
            "limit: must be an integer from 1 to 100",
        ),
        (
            "/v1/fills?limit=ten",
            "limit: must be an integer from 1 to 100",
        ),
        (
            "/v1/fills?condition_id=0x01",
            "chain_id: is required with condition_id",
        ),
        (
            "/v1/fills?chain_id=56",
            "condition_id: is required with chain_id",
        ),
        (
            "/v1/positions?condition_id=0x01",
            "chain_id: is required with condition_id",
        ),
        (
            "/v1/positions?chain_id=56",
            "condition_id: is required with chain_id",
        ),
        (
            "/v1/positions?condition_id=0x01&chain_id=56",
            "condition_id: ",
        ),
        (chain_zero.as_str(), "chain_id: "),
    ];
    for (path, message) in cases {
        let r = reader.get(&gw, path).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    }
}

#[tokio::test]
async fn positions_show_collateral_in_base_units_and_tokens_held_in_shares() {
    let (gw, trader, market) = funded("positions-held").await;
    let r = trader.get(&gw, "/v1/positions").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"data": [], "collateral": {"available": shares(1_000_000).to_string(), "reserved": "0"}})
    );

    // 12.5 YES shares credited; a SELL of 5 reserves some of them, which still count.
    trader
        .credit_asset(&gw, DEMO_YES, shares(25) / U256::from(2u8))
        .await;
    let sell = trader.sign(&market, &limit(Outcome::Yes, Side::Sell, 60, 500));
    assert!(place_one(&gw, &trader, item(&sell)).await["error"].is_null());
    // A BUY of 10 NO shares at 0.40 reserves 4 collateral, and holds no NO token yet.
    let buy = trader.sign(&market, &limit(Outcome::No, Side::Buy, 40, 1_000));
    assert!(place_one(&gw, &trader, item(&buy)).await["error"].is_null());

    let available = shares(1_000_000) - shares(4);
    let expected = json!({
        "data": [{
            "condition_id": DEMO_CONDITION_ID, "chain_id": 56, "outcome": 1, "token_id": DEMO_YES,
            "size": "12.50", "avg_price": "0.0000", "realized_pnl": "0.00",
        }],
        "collateral": {"available": available.to_string(), "reserved": shares(4).to_string()},
    });
    let r = trader.get(&gw, "/v1/positions").await;
    assert_eq!((r.status, &r.body), (200, &expected), "{}", r.text);
    let r = trader
        .get(
            &gw,
            &format!("/v1/positions?condition_id={DEMO_CONDITION_ID}&chain_id=56"),
        )
        .await;
    assert_eq!((r.status, &r.body), (200, &expected), "{}", r.text);
    // Another market: no positions, the same collateral.
    let other = format!("0x{}", "ab".repeat(32));
    let r = trader
        .get(
            &gw,
            &format!("/v1/positions?condition_id={other}&chain_id=56"),
        )
        .await;
    assert_eq!(r.body["data"], json!([]), "{}", r.text);
    assert_eq!(r.body["collateral"], expected["collateral"], "{}", r.text);
    // Nothing traded: no fills.
    let r = trader.get(&gw, "/v1/fills").await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_FILLS));
}

#[tokio::test]
async fn another_wallets_positions_are_never_shown() {
    let (gw, owner, _) = funded("positions-owner").await;
    owner.credit_asset(&gw, DEMO_YES, shares(7)).await;
    let other = Trader::new(&gw, "positions-other").await;
    let r = other.get(&gw, "/v1/positions").await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_POSITIONS));
    let r = owner.get(&gw, "/v1/positions").await;
    assert_eq!(r.body["data"][0]["size"], "7.00", "{}", r.text);
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_positions_and_fills() {
    let schema = test_support::PgSchema::create().await;
    let env = [
        ("FS_DEV_MODE", "true"),
        ("FS_ADMIN_TOKEN", crate::harness::ADMIN_TOKEN),
        ("DATABASE_URL", schema.url.as_str()),
    ];
    let gw = Gateway::start(&env).await;
    let trader = Trader::with_permissions(&gw, &env, "positions-pg", &["read", "trade"]).await;
    let r = trader.get(&gw, "/v1/positions").await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_POSITIONS));
    trader.credit(&gw, shares(10)).await;
    trader.credit_asset(&gw, DEMO_YES, shares(8)).await;
    let market = market_info(&gw, DEMO_CONDITION_ID).await;
    let sell = trader.sign(&market, &limit(Outcome::Yes, Side::Sell, 55, 500));
    assert!(place_one(&gw, &trader, item(&sell)).await["error"].is_null());
    let r = trader.get(&gw, "/v1/positions").await;
    assert_eq!(
        (r.status, &r.body),
        (
            200,
            &json!({
                "data": [{
                    "condition_id": DEMO_CONDITION_ID, "chain_id": 56, "outcome": 1,
                    "token_id": DEMO_YES, "size": "8.00", "avg_price": "0.0000",
                    "realized_pnl": "0.00",
                }],
                "collateral": {"available": shares(10).to_string(), "reserved": "0"},
            })
        ),
        "{}",
        r.text
    );
    let r = trader.get(&gw, "/v1/fills?limit=1").await;
    assert_eq!((r.status, r.text.as_str()), (200, EMPTY_FILLS));
}
