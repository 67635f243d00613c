//! docs/api.md 3, L0 market data: the demo market, the market object, the sub-routes and their
//! errors.

use serde_json::{json, Value};

use crate::harness::{
    assert_envelope, condition_id, market_body, market_path, Gateway, ADMIN_TOKEN,
    DEMO_CONDITION_ID,
};

const DEV: [(&str, &str); 1] = [("FS_DEV_MODE", "true")];

fn is_address(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 42
            && s.starts_with("0x")
            && s[2..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn is_rfc3339(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() >= 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z'))
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn keys(names: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn demo_market_is_listed_in_dev_mode() {
    let gw = Gateway::start(&DEV).await;
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        sorted_keys(&r.body),
        keys(&["data", "next_cursor", "has_more"])
    );
    let data = r.body["data"].as_array().expect("data is an array");
    assert_eq!(data.len(), 1, "{}", r.text);
    assert_eq!(data[0]["condition_id"], DEMO_CONDITION_ID);
    assert_eq!(data[0]["chain_id"], 56);
    assert_eq!(r.body["has_more"], false);
    assert_eq!(r.body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn demo_market_is_absent_without_dev_mode() {
    let gw = Gateway::start(&[]).await;
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"], json!([]));
    let r = gw.get(&market_path(DEMO_CONDITION_ID, "")).await;
    assert_envelope(&r, 404, "NOT_FOUND", "");
}

#[tokio::test]
async fn market_has_every_field_of_the_contract() {
    let gw = Gateway::start(&DEV).await;
    let r = gw.get(&market_path(DEMO_CONDITION_ID, "")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json"));
    let m = &r.body;
    assert_eq!(
        sorted_keys(m),
        keys(&[
            "condition_id",
            "chain_id",
            "question",
            "status",
            "tokens",
            "fee_rate_bps",
            "min_order_size",
            "tick_size",
            "created_at",
            "end_date",
            "summary",
            "rules",
            "collateral_token",
            "ctf_exchange_address",
            "conditional_tokens_address",
            "ticker",
        ])
    );
    assert_eq!(m["condition_id"], DEMO_CONDITION_ID);
    assert_eq!(m["chain_id"], json!(56));
    assert!(m["question"].as_str().is_some_and(|q| !q.is_empty()));
    assert_eq!(m["status"], "OPEN");
    assert!(m["fee_rate_bps"].is_u64(), "fee_rate_bps is an integer");
    assert!(
        m["min_order_size"].is_string(),
        "min_order_size is a decimal string"
    );
    assert_eq!(m["tick_size"], "0.01");
    assert!(
        is_rfc3339(&m["created_at"]),
        "created_at {}",
        m["created_at"]
    );
    assert!(m["end_date"].is_null() || is_rfc3339(&m["end_date"]));
    assert!(m["summary"].is_string() && m["rules"].is_string());
    for field in [
        "collateral_token",
        "ctf_exchange_address",
        "conditional_tokens_address",
    ] {
        assert!(is_address(&m[field]), "{field}: {}", m[field]);
    }
    let tokens = m["tokens"].as_array().expect("tokens is an array");
    assert_eq!(tokens.len(), 2);
    let mut outcomes: Vec<u64> = tokens
        .iter()
        .map(|t| {
            assert_eq!(sorted_keys(t), keys(&["token_id", "outcome", "decimals"]));
            let id = t["token_id"].as_str().expect("token_id is a string");
            assert!(!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
            assert!(t["decimals"].is_u64());
            t["outcome"].as_u64().expect("outcome is an integer")
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, [0, 1]);
    assert_eq!(
        m["ticker"],
        json!({
            "bestBid": null, "bestAsk": null, "lastPrice": null, "spread": null,
            "displayPriceYES": null, "displayPriceNO": null
        })
    );
}

#[tokio::test]
async fn condition_id_is_accepted_in_any_case_and_returned_lower_case() {
    let gw = Gateway::start(&DEV).await;
    let upper = format!("0x{}", DEMO_CONDITION_ID[2..].to_uppercase());
    let r = gw.get(&market_path(&upper, "")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["condition_id"], DEMO_CONDITION_ID);
}

#[tokio::test]
async fn x_language_cn_returns_the_translation() {
    let gw = Gateway::start(&DEV).await;
    let default = gw.get(&market_path(DEMO_CONDITION_ID, "")).await;
    let cn = gw
        .get_with(&market_path(DEMO_CONDITION_ID, ""), &[("x-language", "cn")])
        .await;
    assert_eq!(cn.status, 200);
    assert_eq!(cn.body["summary"], "演示市场：仅用于本地开发。");
    assert_eq!(
        cn.body["rules"],
        "如果网关在本地撮合了第一笔订单，则结算为是。"
    );
    assert_ne!(cn.body["summary"], default.body["summary"]);
    // Everything else is the same market.
    assert_eq!(cn.body["question"], default.body["question"]);
    // The list honours the header too.
    let list = gw.get_with("/v1/markets", &[("x-language", "cn")]).await;
    assert_eq!(list.body["data"][0]["summary"], cn.body["summary"]);
}

#[tokio::test]
async fn x_language_en_or_unknown_returns_the_default_text() {
    let gw = Gateway::start(&DEV).await;
    let default = gw.get(&market_path(DEMO_CONDITION_ID, "")).await;
    assert_eq!(
        default.body["summary"],
        "A demo market for local development only."
    );
    for lang in ["en", "EN", "fr", "xx-YY", "", "zh"] {
        let r = gw
            .get_with(&market_path(DEMO_CONDITION_ID, ""), &[("x-language", lang)])
            .await;
        assert_eq!(r.status, 200, "X-Language {lang:?}: {}", r.text);
        assert_eq!(
            r.body["summary"], default.body["summary"],
            "X-Language {lang:?}"
        );
        assert_eq!(
            r.body["rules"], default.body["rules"],
            "X-Language {lang:?}"
        );
    }
}

#[tokio::test]
async fn missing_chain_id_is_400_naming_chain_id() {
    let gw = Gateway::start(&DEV).await;
    for suffix in ["", "/tokens", "/book", "/ticker", "/trades"] {
        let r = gw
            .get(&format!("/v1/markets/{DEMO_CONDITION_ID}{suffix}"))
            .await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "chain_id");
        let r = gw
            .get(&format!(
                "/v1/markets/{DEMO_CONDITION_ID}{suffix}?chain_id="
            ))
            .await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "chain_id");
    }
}

#[tokio::test]
async fn bad_chain_id_is_400_naming_chain_id() {
    let gw = Gateway::start(&DEV).await;
    for bad in ["abc", "-1", "5.6", "99999999999999999999999"] {
        let r = gw
            .get(&format!("/v1/markets/{DEMO_CONDITION_ID}?chain_id={bad}"))
            .await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "chain_id");
    }
}

#[tokio::test]
async fn bad_condition_id_is_400_naming_condition_id() {
    let gw = Gateway::start(&DEV).await;
    let too_long = format!("{DEMO_CONDITION_ID}0");
    let no_prefix = &DEMO_CONDITION_ID[2..];
    let not_hex = format!("0x{}", "g".repeat(64));
    for bad in [
        "0x123",
        "nope",
        too_long.as_str(),
        no_prefix,
        not_hex.as_str(),
    ] {
        for suffix in ["", "/tokens", "/book", "/ticker", "/trades"] {
            let r = gw.get(&market_path(bad, suffix)).await;
            assert_envelope(&r, 400, "VALIDATION_ERROR", "condition_id");
        }
    }
}

#[tokio::test]
async fn unknown_market_is_404_not_found() {
    let gw = Gateway::start(&DEV).await;
    let unknown = condition_id(999);
    for suffix in ["", "/tokens", "/book", "/ticker", "/trades"] {
        let r = gw.get(&market_path(&unknown, suffix)).await;
        assert_envelope(&r, 404, "NOT_FOUND", "");
        // The demo market exists on chain 56 only.
        let r = gw
            .get(&format!(
                "/v1/markets/{DEMO_CONDITION_ID}{suffix}?chain_id=97"
            ))
            .await;
        assert_envelope(&r, 404, "NOT_FOUND", "");
    }
}

#[tokio::test]
async fn tokens_route_lists_both_outcomes() {
    let gw = Gateway::start(&DEV).await;
    let r = gw.get(&market_path(DEMO_CONDITION_ID, "/tokens")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        sorted_keys(&r.body),
        keys(&["condition_id", "chain_id", "collateral_token", "tokens"])
    );
    assert_eq!(r.body["condition_id"], DEMO_CONDITION_ID);
    assert_eq!(r.body["chain_id"], 56);
    assert_eq!(
        r.body["collateral_token"],
        "0x55d398326f99059ff775485246999027b3197955"
    );
    let market = gw.get(&market_path(DEMO_CONDITION_ID, "")).await;
    let mut tokens = r.body["tokens"].as_array().expect("tokens").clone();
    let mut expected = market.body["tokens"].as_array().expect("tokens").clone();
    tokens.sort_by_key(|t| t["outcome"].as_u64());
    expected.sort_by_key(|t| t["outcome"].as_u64());
    assert_eq!(tokens, expected);
    assert_eq!(
        tokens,
        [
            json!({"outcome": 0, "token_id": "1000", "decimals": 18}),
            json!({"outcome": 1, "token_id": "1001", "decimals": 18}),
        ]
    );
}

#[tokio::test]
async fn empty_book_has_seq_0_and_no_levels() {
    let gw = Gateway::start(&DEV).await;
    let r = gw.get(&market_path(DEMO_CONDITION_ID, "/book")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        sorted_keys(&r.body),
        keys(&[
            "condition_id",
            "chain_id",
            "timestamp",
            "seq",
            "bids",
            "asks"
        ])
    );
    assert_eq!(r.body["condition_id"], DEMO_CONDITION_ID);
    assert_eq!(r.body["chain_id"], 56);
    assert_eq!(r.body["seq"], json!(0));
    assert_eq!(r.body["bids"], json!([]));
    assert_eq!(r.body["asks"], json!([]));
    assert!(is_rfc3339(&r.body["timestamp"]), "{}", r.body["timestamp"]);
}

#[tokio::test]
async fn ticker_route_has_snake_case_fields_null_without_trades() {
    let gw = Gateway::start(&DEV).await;
    let r = gw.get(&market_path(DEMO_CONDITION_ID, "/ticker")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        sorted_keys(&r.body),
        keys(&[
            "condition_id",
            "chain_id",
            "best_bid",
            "best_ask",
            "last_price",
            "spread",
            "display_price_yes",
            "display_price_no",
            "timestamp",
        ])
    );
    assert_eq!(r.body["condition_id"], DEMO_CONDITION_ID);
    assert_eq!(r.body["chain_id"], 56);
    for field in [
        "best_bid",
        "best_ask",
        "last_price",
        "spread",
        "display_price_yes",
        "display_price_no",
    ] {
        assert_eq!(r.body[field], Value::Null, "{field}");
    }
    assert!(is_rfc3339(&r.body["timestamp"]));
}

#[tokio::test]
async fn trades_of_a_market_without_trades_is_an_empty_page() {
    let gw = Gateway::start(&DEV).await;
    for query in ["", "&limit=1", "&limit=100"] {
        let r = gw
            .get(&format!(
                "{}{query}",
                market_path(DEMO_CONDITION_ID, "/trades")
            ))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body,
            json!({"data": [], "next_cursor": null, "has_more": false})
        );
    }
}

#[tokio::test]
async fn trades_limit_and_cursor_are_validated() {
    let gw = Gateway::start(&DEV).await;
    let trades = market_path(DEMO_CONDITION_ID, "/trades");
    for bad in ["0", "101", "abc"] {
        let r = gw.get(&format!("{trades}&limit={bad}")).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "limit");
    }
    let r = gw.get(&format!("{trades}&cursor=not-a-cursor!")).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "cursor");
}

#[tokio::test]
async fn created_market_is_readable_on_every_l0_route() {
    let gw = Gateway::start(&[("FS_ADMIN_TOKEN", ADMIN_TOKEN)]).await;
    let created = gw.create_market(&market_body(3)).await;
    let id = condition_id(3);
    let r = gw.get(&market_path(&id, "")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, created);
    for suffix in ["/tokens", "/book", "/ticker", "/trades"] {
        let r = gw.get(&market_path(&id, suffix)).await;
        assert_eq!(r.status, 200, "{suffix}: {}", r.text);
    }
}

#[tokio::test]
async fn x_language_is_case_insensitive() {
    // Language tags are case-insensitive (RFC 5646), and the gateway already reads `EN` as `en`.
    let gw = Gateway::start(&DEV).await;
    let cn = gw
        .get_with(&market_path(DEMO_CONDITION_ID, ""), &[("x-language", "cn")])
        .await;
    for lang in ["CN", "Cn", " cn "] {
        let r = gw
            .get_with(&market_path(DEMO_CONDITION_ID, ""), &[("x-language", lang)])
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["summary"], cn.body["summary"], "X-Language {lang:?}");
        assert_eq!(r.body["rules"], cn.body["rules"], "X-Language {lang:?}");
    }
}
