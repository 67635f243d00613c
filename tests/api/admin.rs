//! docs/api.md 10, operators' routes: the admin token, creating and changing markets, crediting
//! balances.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{
    assert_envelope, condition_id, market_body, market_path, token_ids, Gateway, ADMIN_TOKEN,
};

const ADMIN: [(&str, &str); 1] = [("FS_ADMIN_TOKEN", ADMIN_TOKEN)];
const WALLET: &str = "0x1111111111111111111111111111111111111111";

async fn admin_gateway() -> Gateway {
    Gateway::start(&ADMIN).await
}

/// Every admin route with a body that would be valid.
fn admin_calls() -> Vec<(Method, String, Value)> {
    vec![
        (Method::POST, "/admin/v1/markets".into(), market_body(1)),
        (
            Method::PATCH,
            format!("/admin/v1/markets/{}?chain_id=56", condition_id(1)),
            json!({"status": "PAUSED"}),
        ),
        (
            Method::POST,
            "/admin/v1/balances".into(),
            json!({"wallet": WALLET, "asset": "collateral", "amount": "1"}),
        ),
    ]
}

#[tokio::test]
async fn admin_routes_are_absent_without_a_token() {
    let gw = Gateway::start(&[]).await;
    for (method, path, body) in admin_calls() {
        for auth in [None, Some(ADMIN_TOKEN)] {
            let mut rb = gw.request(method.clone(), &path).json(&body);
            if let Some(token) = auth {
                rb = rb.bearer_auth(token);
            }
            let r = gw.send(rb).await;
            assert_envelope(&r, 404, "NOT_FOUND", "");
        }
    }
}

#[tokio::test]
async fn no_authorization_is_401_auth_missing() {
    let gw = admin_gateway().await;
    for (method, path, body) in admin_calls() {
        let r = gw.send(gw.request(method, &path).json(&body)).await;
        assert_envelope(&r, 401, "AUTH_MISSING", "");
    }
}

#[tokio::test]
async fn wrong_token_is_401_auth_invalid() {
    let gw = admin_gateway().await;
    let same_length = "x".repeat(ADMIN_TOKEN.len());
    let prefix = &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1];
    let longer = format!("{ADMIN_TOKEN}x");
    let bearer_wrong = |t: &str| format!("Bearer {t}");
    let headers = [
        bearer_wrong(&same_length),
        bearer_wrong(prefix),
        bearer_wrong(&longer),
        "Bearer ".to_owned(),
        format!("Basic {ADMIN_TOKEN}"),
        ADMIN_TOKEN.to_owned(),
    ];
    for (method, path, body) in admin_calls() {
        for header in &headers {
            let r = gw
                .send(
                    gw.request(method.clone(), &path)
                        .header("authorization", header)
                        .json(&body),
                )
                .await;
            assert_envelope(&r, 401, "AUTH_INVALID", "");
        }
    }
    // Nothing was created.
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.body["data"], json!([]));
}

#[tokio::test]
async fn token_is_checked_before_the_body() {
    let gw = admin_gateway().await;
    let r = gw
        .send(
            gw.request(Method::POST, "/admin/v1/markets")
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_envelope(&r, 401, "AUTH_MISSING", "");
    let r = gw
        .patch(
            &format!("/admin/v1/markets/{}", condition_id(1)),
            &json!({"no_such_field": true}),
        )
        .await;
    assert_envelope(&r, 401, "AUTH_MISSING", "");
    let r = gw
        .send(
            gw.request(Method::POST, "/admin/v1/markets")
                .bearer_auth("wrong-token-0000000000")
                .header("content-type", "text/plain")
                .body("x"),
        )
        .await;
    assert_envelope(&r, 401, "AUTH_INVALID", "");
}

#[tokio::test]
async fn create_market_is_201_with_the_market() {
    let gw = admin_gateway().await;
    let mut body = market_body(1);
    // Hex in any case is accepted and returned lower-case.
    body["condition_id"] = json!(format!("0x{}", condition_id(1)[2..].to_uppercase()));
    body["collateral_token"] = json!("0x55D398326F99059fF775485246999027B3197955");
    body["translations"] = json!({"cn": {"summary": "摘要", "rules": "规则"}});
    let r = gw.admin_post("/admin/v1/markets", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let m = &r.body;
    let (yes, no) = token_ids(1);
    assert_eq!(m["condition_id"], condition_id(1));
    assert_eq!(m["chain_id"], 56);
    assert_eq!(m["question"], "Test market 1: will it resolve YES?");
    assert_eq!(m["status"], "OPEN");
    let mut tokens = m["tokens"].as_array().expect("tokens").clone();
    tokens.sort_by_key(|t| t["outcome"].as_u64());
    assert_eq!(
        tokens,
        [
            json!({"token_id": no, "outcome": 0, "decimals": 18}),
            json!({"token_id": yes, "outcome": 1, "decimals": 18}),
        ]
    );
    assert_eq!(
        m["collateral_token"],
        "0x55d398326f99059ff775485246999027b3197955"
    );
    assert_eq!(
        m["ctf_exchange_address"],
        "0x00000000000000000000000000000000000c7f01"
    );
    assert_eq!(
        m["conditional_tokens_address"],
        "0x00000000000000000000000000000000000c7f02"
    );
    assert_eq!(m["fee_rate_bps"], 0);
    assert_eq!(m["min_order_size"], "5.00");
    assert_eq!(m["tick_size"], "0.01");
    assert_eq!(m["end_date"], "2030-01-01T00:00:00.000Z");
    assert_eq!(m["summary"], "Summary of market 1.");
    assert_eq!(m["rules"], "Rules of market 1.");
    assert!(m["created_at"].is_string());
    assert!(m["ticker"].is_object());
    // Readable at once, with the translation.
    let r = gw.get(&market_path(&condition_id(1), "")).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body, m);
    let r = gw
        .get_with(&market_path(&condition_id(1), ""), &[("x-language", "cn")])
        .await;
    assert_eq!(r.body["summary"], "摘要");
    assert_eq!(r.body["rules"], "规则");
}

/// Posts `market_body(1)` changed by `change` and expects a 400 naming `field`.
async fn assert_create_rejected(change: impl FnOnce(&mut Value), field: &str) {
    let gw = admin_gateway().await;
    let mut body = market_body(1);
    change(&mut body);
    let r = gw.admin_post("/admin/v1/markets", &body).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", field);
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.body["data"], json!([]), "a refused market is not created");
}

#[tokio::test]
async fn create_market_rejects_a_bad_condition_id_naming_it() {
    for bad in [json!("0x1234"), json!("xyz"), json!(12), json!(null)] {
        assert_create_rejected(|b| b["condition_id"] = bad, "condition_id").await;
    }
}

#[tokio::test]
async fn create_market_rejects_a_missing_chain_id_naming_it() {
    assert_create_rejected(
        |b| {
            b.as_object_mut().expect("object").remove("chain_id");
        },
        "chain_id",
    )
    .await;
    assert_create_rejected(|b| b["chain_id"] = json!(0), "chain_id").await;
    assert_create_rejected(|b| b["chain_id"] = json!("56"), "chain_id").await;
}

#[tokio::test]
async fn create_market_requires_exactly_outcomes_0_and_1() {
    let (yes, no) = token_ids(1);
    let token = |outcome: u8, id: &str| json!({"outcome": outcome, "token_id": id, "decimals": 18});
    for tokens in [
        json!([]),
        json!([token(1, &yes)]),
        json!([token(1, &yes), token(1, &no)]),
        json!([token(0, &yes), token(0, &no)]),
        json!([token(1, &yes), token(0, &no), token(0, "42")]),
        json!([token(1, &yes), token(0, &yes)]),
    ] {
        assert_create_rejected(|b| b["tokens"] = tokens, "tokens").await;
    }
    assert_create_rejected(
        |b| b["tokens"][0]["outcome"] = json!(2),
        "tokens[0].outcome",
    )
    .await;
}

#[tokio::test]
async fn create_market_requires_both_outcomes_to_share_their_decimals() {
    // A YES + NO pair is worth one unit of collateral: mints and merges need one scale.
    assert_create_rejected(
        |b| b["tokens"][1]["decimals"] = json!(6),
        "tokens.decimals: must be the same for both outcomes",
    )
    .await;
}

#[tokio::test]
async fn create_market_rejects_a_tick_size_other_than_0_01() {
    for bad in ["0.001", "0.1", "1", "0.010", ""] {
        assert_create_rejected(|b| b["tick_size"] = json!(bad), "tick_size").await;
    }
}

#[tokio::test]
async fn create_market_rejects_a_bad_end_date() {
    for bad in ["tomorrow", "2030-13-01T00:00:00Z", "2030-01-01"] {
        assert_create_rejected(|b| b["end_date"] = json!(bad), "end_date").await;
    }
}

#[tokio::test]
async fn create_market_rejects_a_bad_status() {
    assert_create_rejected(|b| b["status"] = json!("LIVE"), "status").await;
}

#[tokio::test]
async fn create_market_rejects_an_unknown_field() {
    assert_create_rejected(|b| b["colour"] = json!("blue"), "colour").await;
}

#[tokio::test]
async fn duplicate_market_is_400() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let r = gw.admin_post("/admin/v1/markets", &market_body(1)).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "condition_id");
    // The same condition id on another chain is another market.
    let mut other_chain = market_body(1);
    other_chain["chain_id"] = json!(97);
    let (yes, no) = token_ids(50);
    other_chain["tokens"][0]["token_id"] = json!(yes);
    other_chain["tokens"][1]["token_id"] = json!(no);
    gw.create_market(&other_chain).await;
}

#[tokio::test]
async fn token_id_of_another_market_is_refused() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let mut body = market_body(2);
    body["tokens"][0]["token_id"] = json!(token_ids(1).0);
    let r = gw.admin_post("/admin/v1/markets", &body).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "tokens");
}

#[tokio::test]
async fn patch_status_with_chain_id_in_query_applies_at_once() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let id = condition_id(1);
    let path = format!("/admin/v1/markets/{id}?chain_id=56");
    for status in ["PAUSED", "CLOSED", "RESOLVED", "SEEDING", "OPEN"] {
        let r = gw.admin_patch(&path, &json!({"status": status})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"], status);
        assert_eq!(r.body["condition_id"], id);
        let r = gw.get(&market_path(&id, "")).await;
        assert_eq!(r.body["status"], status, "GET right after PATCH");
        let r = gw.get(&format!("/v1/markets?status={status}")).await;
        assert_eq!(
            r.body["data"][0]["condition_id"], id,
            "list right after PATCH"
        );
    }
}

#[tokio::test]
async fn patch_status_with_chain_id_in_body_applies_at_once() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let id = condition_id(1);
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{id}"),
            &json!({"chain_id": 56, "status": "PAUSED"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "PAUSED");
    let r = gw.get(&market_path(&id, "")).await;
    assert_eq!(r.body["status"], "PAUSED");
    // Both, agreeing.
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{id}?chain_id=56"),
            &json!({"chain_id": 56, "status": "OPEN"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "OPEN");
}

#[tokio::test]
async fn patch_without_chain_id_is_400_naming_chain_id() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let id = condition_id(1);
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{id}"),
            &json!({"status": "PAUSED"}),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "chain_id");
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{id}?chain_id=56"),
            &json!({"chain_id": 97, "status": "PAUSED"}),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "chain_id");
    let r = gw.get(&market_path(&id, "")).await;
    assert_eq!(r.body["status"], "OPEN", "a refused PATCH changes nothing");
}

#[tokio::test]
async fn patch_rejects_a_bad_status_or_an_empty_change() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let path = format!("/admin/v1/markets/{}?chain_id=56", condition_id(1));
    let r = gw.admin_patch(&path, &json!({"status": "LIVE"})).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "status");
    let r = gw.admin_patch(&path, &json!({})).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "");
}

#[tokio::test]
async fn patch_translations_changes_the_translated_text() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let id = condition_id(1);
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{id}?chain_id=56"),
            &json!({"translations": {"cn": {"summary": "新摘要", "rules": "新规则"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The PATCH answers in the default language.
    assert_eq!(r.body["summary"], "Summary of market 1.");
    let cn = gw
        .get_with(&market_path(&id, ""), &[("x-language", "cn")])
        .await;
    assert_eq!(cn.body["summary"], "新摘要");
    assert_eq!(cn.body["rules"], "新规则");
    let en = gw.get(&market_path(&id, "")).await;
    assert_eq!(en.body["summary"], "Summary of market 1.");
    assert_eq!(
        en.body["status"], "OPEN",
        "a translation PATCH leaves the status"
    );
    // "en" is the default text, not a translation.
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{id}?chain_id=56"),
            &json!({"translations": {"en": {"summary": "x", "rules": "y"}}}),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "translations");
}

#[tokio::test]
async fn patch_unknown_market_is_404() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{}?chain_id=56", condition_id(2)),
            &json!({"status": "PAUSED"}),
        )
        .await;
    assert_envelope(&r, 404, "NOT_FOUND", "");
    // Known condition id, other chain.
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{}?chain_id=97", condition_id(1)),
            &json!({"status": "PAUSED"}),
        )
        .await;
    assert_envelope(&r, 404, "NOT_FOUND", "");
    let r = gw
        .admin_patch(
            "/admin/v1/markets/0x12?chain_id=56",
            &json!({"status": "PAUSED"}),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "condition_id");
}

async fn credit(gw: &Gateway, wallet: &str, asset: &str, amount: &str) -> crate::harness::Resp {
    gw.admin_post(
        "/admin/v1/balances",
        &json!({"wallet": wallet, "asset": asset, "amount": amount}),
    )
    .await
}

#[tokio::test]
async fn collateral_credits_add_up_exactly_beyond_2_pow_64() {
    let gw = admin_gateway().await;
    let mixed_case = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";
    let lower = mixed_case.to_lowercase();
    // 2^64 and 2^64 + 1: the sum 2^65 + 1 needs more than 64 bits.
    let r = credit(&gw, mixed_case, "collateral", "18446744073709551616").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"wallet": lower, "asset": "collateral",
               "available": "18446744073709551616", "reserved": "0"})
    );
    let r = credit(&gw, &lower, "collateral", "18446744073709551617").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["available"], "36893488147419103233");
    assert_eq!(r.body["reserved"], "0");
    // Beyond 2^128 too.
    let r = credit(
        &gw,
        &lower,
        "collateral",
        "340282366920938463463374607431768211456",
    )
    .await;
    assert_eq!(
        r.body["available"],
        "340282366920938463500268095579187314689"
    );
    // Another wallet starts from zero.
    let r = credit(&gw, WALLET, "collateral", "7").await;
    assert_eq!(r.body["available"], "7");
}

#[tokio::test]
async fn token_credit_for_a_market_token_is_200() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    let (yes, no) = token_ids(1);
    let r = credit(&gw, WALLET, &yes, "1000000000000000000000").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["asset"], yes.as_str());
    assert_eq!(r.body["available"], "1000000000000000000000");
    assert_eq!(r.body["reserved"], "0");
    let r = credit(&gw, WALLET, &yes, "1").await;
    assert_eq!(r.body["available"], "1000000000000000000001");
    // Each token and the collateral are separate balances.
    let r = credit(&gw, WALLET, &no, "5").await;
    assert_eq!(r.body["available"], "5");
    let r = credit(&gw, WALLET, "collateral", "3").await;
    assert_eq!(r.body["available"], "3");
}

#[tokio::test]
async fn credit_of_an_unknown_token_is_400_naming_asset() {
    let gw = admin_gateway().await;
    gw.create_market(&market_body(1)).await;
    for asset in ["123456789", "usdt", "", "-1", "0x12"] {
        let r = credit(&gw, WALLET, asset, "1").await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "asset");
    }
}

/// 2^256, one more than a uint256 holds.
const TWO_POW_256: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639936";
const TWO_POW_256_MINUS_1: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

#[tokio::test]
async fn credit_amount_errors_say_it_is_base_units_and_give_the_assets_decimals() {
    let gw = admin_gateway().await;
    // A market whose tokens have 6 decimals.
    let mut body = market_body(1);
    body["tokens"][0]["decimals"] = json!(6);
    body["tokens"][1]["decimals"] = json!(6);
    gw.create_market(&body).await;
    let (yes, _) = token_ids(1);
    let collateral = r#"(collateral has 18 decimals: 1.5 collateral is "1500000000000000000")"#;
    let token = format!(r#"(token_id {yes} has 6 decimals: 1.5 tokens is "1500000")"#);
    let whole = "amount: must be a whole number of base units";
    for (asset, hint) in [("collateral", collateral), (yes.as_str(), token.as_str())] {
        let cases = [
            (json!("1.5"), format!("{whole} {hint}")),
            (json!("-1"), format!("{whole} {hint}")),
            (json!("abc"), format!("{whole} {hint}")),
            (json!(""), format!("{whole} {hint}")),
            (json!("1e18"), format!("{whole} {hint}")),
            (json!("0"), format!("amount: must be greater than 0 {hint}")),
            (
                json!(TWO_POW_256),
                format!("amount: must be at most 2^256-1 base units {hint}"),
            ),
            // A JSON number is not a uint256 string.
            (
                json!(15),
                format!("amount: must be a string holding a whole number of base units {hint}"),
            ),
        ];
        for (amount, message) in cases {
            let r = gw
                .admin_post(
                    "/admin/v1/balances",
                    &json!({"wallet": WALLET, "asset": asset, "amount": amount}),
                )
                .await;
            assert_envelope(&r, 400, "VALIDATION_ERROR", "");
            assert_eq!(r.body["message"], message, "{asset} {amount}");
        }
    }
    // Nothing was credited.
    let r = credit(&gw, WALLET, "collateral", "1").await;
    assert_eq!(r.body["available"], "1", "{}", r.text);
}

#[tokio::test]
async fn credit_beyond_2_pow_256_is_refused_and_keeps_the_balance() {
    let gw = admin_gateway().await;
    let r = credit(&gw, WALLET, "collateral", TWO_POW_256_MINUS_1).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["available"], TWO_POW_256_MINUS_1);
    let r = credit(&gw, WALLET, "collateral", "1").await;
    assert_envelope(
        &r,
        400,
        "VALIDATION_ERROR",
        "amount: would take the balance beyond 2^256-1 base units (collateral has 18 decimals",
    );
}

#[tokio::test]
async fn credit_with_a_bad_wallet_is_400_naming_wallet() {
    let gw = admin_gateway().await;
    for wallet in ["0x12", "nope", "0x111111111111111111111111111111111111111g"] {
        let r = credit(&gw, wallet, "collateral", "1").await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "wallet");
    }
}

#[tokio::test]
async fn create_market_rejects_a_bad_min_order_size() {
    for bad in ["0", "5.001", "-1", "five"] {
        assert_create_rejected(|b| b["min_order_size"] = json!(bad), "min_order_size").await;
    }
}

#[tokio::test]
async fn create_market_rejects_an_empty_question() {
    for bad in ["", "   "] {
        assert_create_rejected(|b| b["question"] = json!(bad), "question").await;
    }
}

#[tokio::test]
async fn create_market_status_is_accepted_in_any_case() {
    let gw = admin_gateway().await;
    let mut body = market_body(1);
    body["status"] = json!("paused");
    let m = gw.create_market(&body).await;
    assert_eq!(m["status"], "PAUSED");
}
