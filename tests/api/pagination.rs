//! docs/api.md 1.8 and 3: the market list is cursor-paginated and filtered by status in any case.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::harness::{assert_envelope, condition_id, market_body, Gateway, ADMIN_TOKEN};

const ADMIN: [(&str, &str); 1] = [("FS_ADMIN_TOKEN", ADMIN_TOKEN)];

/// Starts a gateway with markets 1..=n; the listed `paused` ones are created PAUSED.
async fn gateway_with_markets(n: u64, paused: &[u64]) -> Gateway {
    let gw = Gateway::start(&ADMIN).await;
    for i in 1..=n {
        let mut body = market_body(i);
        if paused.contains(&i) {
            body["status"] = json!("PAUSED");
        }
        gw.create_market(&body).await;
    }
    gw
}

/// Walks `/v1/markets?{query}` page by page, checking the page rules; returns the pages' items.
async fn walk(gw: &Gateway, query: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/v1/markets?limit={limit}{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = gw.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let data = r.body["data"].as_array().expect("data").clone();
        let has_more = r.body["has_more"].as_bool().expect("has_more is a bool");
        if has_more {
            assert_eq!(data.len(), limit, "a page with has_more is full: {path}");
            let next = r.body["next_cursor"]
                .as_str()
                .expect("next_cursor is a string while has_more");
            assert!(!next.is_empty());
            cursor = Some(next.to_owned());
        } else {
            assert_eq!(r.body["next_cursor"], Value::Null, "last page: {path}");
            assert!(data.len() <= limit);
        }
        items.extend(data);
        if !has_more {
            return items;
        }
    }
    panic!("pagination did not end after 100 pages");
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|m| m["condition_id"].as_str().expect("condition_id").to_owned())
        .collect()
}

fn assert_no_duplicates_or_omissions(items: &[Value], expected: &[u64]) {
    let got = ids(items);
    let unique: BTreeSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "duplicates in {got:?}");
    let want: BTreeSet<String> = expected.iter().map(|&i| condition_id(i)).collect();
    let got: BTreeSet<String> = got.into_iter().collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn pages_walked_by_cursor_hold_every_market_once() {
    let gw = gateway_with_markets(5, &[]).await;
    for limit in [1, 2, 3, 5] {
        let items = walk(&gw, "", limit).await;
        assert_no_duplicates_or_omissions(&items, &[1, 2, 3, 4, 5]);
    }
    // One page holding everything.
    let r = gw.get("/v1/markets?limit=100").await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(5));
    assert_eq!(r.body["has_more"], false);
    assert_eq!(r.body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_page_of_exactly_the_remaining_items_is_the_last() {
    let gw = gateway_with_markets(4, &[]).await;
    let r = gw.get("/v1/markets?limit=2").await;
    assert_eq!(r.body["has_more"], true);
    let cursor = r.body["next_cursor"].as_str().expect("cursor").to_owned();
    let r = gw
        .get(&format!("/v1/markets?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        r.body["has_more"], false,
        "no empty page after a full last one"
    );
    assert_eq!(r.body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn market_list_is_newest_first() {
    let gw = Gateway::start(&ADMIN).await;
    for i in 1..=3 {
        gw.create_market(&market_body(i)).await;
        // Distinct creation times.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let items = walk(&gw, "", 2).await;
    assert_eq!(
        ids(&items),
        [condition_id(3), condition_id(2), condition_id(1)]
    );
}

#[tokio::test]
async fn status_filter_accepts_any_case() {
    let gw = gateway_with_markets(5, &[2, 4]).await;
    for (query, expected, status) in [
        ("&status=open", vec![1, 3, 5], "OPEN"),
        ("&status=OPEN", vec![1, 3, 5], "OPEN"),
        ("&status=Paused", vec![2, 4], "PAUSED"),
        ("&status=paused", vec![2, 4], "PAUSED"),
    ] {
        for limit in [1, 2, 100] {
            let items = walk(&gw, query, limit).await;
            assert_no_duplicates_or_omissions(&items, &expected);
            assert!(items.iter().all(|m| m["status"] == status), "{query}");
        }
    }
    let r = gw.get("/v1/markets?status=closed").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"], json!([]));
}

#[tokio::test]
async fn bad_status_is_400_naming_status() {
    let gw = Gateway::start(&[]).await;
    for bad in ["bogus", "OPENED", "0"] {
        let r = gw.get(&format!("/v1/markets?status={bad}")).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "status");
    }
}

#[tokio::test]
async fn limit_outside_1_to_100_is_400_naming_limit() {
    let gw = Gateway::start(&[]).await;
    for bad in ["0", "101", "abc", "-1", "1.5"] {
        let r = gw.get(&format!("/v1/markets?limit={bad}")).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "limit");
    }
    for good in ["1", "100"] {
        let r = gw.get(&format!("/v1/markets?limit={good}")).await;
        assert_eq!(r.status, 200, "limit={good}");
    }
}

#[tokio::test]
async fn garbage_cursor_is_400_naming_cursor() {
    let gw = gateway_with_markets(3, &[]).await;
    let r = gw.get("/v1/markets?limit=1").await;
    let good = r.body["next_cursor"].as_str().expect("cursor").to_owned();
    let truncated = &good[..good.len() - 3];
    for bad in ["garbage", "!!!", "djE", "", truncated] {
        let r = gw.get(&format!("/v1/markets?cursor={bad}")).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "cursor");
    }
}
