//! `GET /v1/orders` (docs/api.md 6.3): status groups, and pages newest first with a limit.

use std::time::Duration;

use client::{OrdersQuery, SignedOrder, StatusFilter};
use types::{OrderHash, OrderStatus, Outcome, Side};

use crate::trading::limit;

use super::{funded, hashes, list_all, set};

use Outcome::Yes;
use Side::Buy;

#[tokio::test]
async fn list_orders_by_status_group_open_cancelled_filled_and_all() {
    let (_gw, a, market) = funded("groups").await;
    let orders: Vec<SignedOrder> = (0..3)
        .map(|i| a.sign(&market, &limit(Yes, Buy, 30 + i, 1_000)))
        .collect();
    let resp = a.api.place_orders(&orders, None).await.unwrap();
    assert_eq!(resp.body.refused(), 0);
    let gone = a.api.cancel_orders(&[orders[1].hash]).await.unwrap();
    assert_eq!(gone.order_hashes, vec![orders[1].hash]);

    let open = list_all(&a.api, StatusFilter::Open).await;
    assert_eq!(hashes(&open), set(&[orders[0].hash, orders[2].hash]));
    assert!(open.iter().all(|o| o.status == OrderStatus::Open));
    let cancelled = list_all(&a.api, StatusFilter::Cancelled).await;
    assert_eq!(hashes(&cancelled), set(&[orders[1].hash]));
    assert_eq!(cancelled[0].status, OrderStatus::Cancelled);
    assert!(list_all(&a.api, StatusFilter::Filled).await.is_empty());
    let all = list_all(&a.api, StatusFilter::All).await;
    let placed: Vec<OrderHash> = orders.iter().map(|o| o.hash).collect();
    assert_eq!(hashes(&all), set(&placed));
    // No status is `open`.
    let default = a.api.list_orders(&OrdersQuery::default()).await.unwrap();
    assert_eq!(hashes(&default.data), hashes(&open));
}

#[tokio::test]
async fn list_orders_paginates_newest_first_with_limit() {
    let (_gw, a, market) = funded("pages").await;
    let older: Vec<SignedOrder> = (0..3)
        .map(|_| a.sign(&market, &limit(Yes, Buy, 20, 1_000)))
        .collect();
    a.api.place_orders(&older, None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let newer: Vec<SignedOrder> = (0..2)
        .map(|_| a.sign(&market, &limit(Yes, Buy, 21, 1_000)))
        .collect();
    a.api.place_orders(&newer, None).await.unwrap();

    // Newest first: the later batch, then the earlier; the hash breaks ties, descending.
    let mut expected: Vec<OrderHash> = newer.iter().map(|o| o.hash).collect();
    expected.sort_unstable_by_key(|h| std::cmp::Reverse(h.to_string()));
    let mut tail: Vec<OrderHash> = older.iter().map(|o| o.hash).collect();
    tail.sort_unstable_by_key(|h| std::cmp::Reverse(h.to_string()));
    expected.extend(tail);

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut sizes = Vec::new();
    loop {
        let page = a
            .api
            .list_orders(&OrdersQuery {
                status: Some(StatusFilter::Open),
                limit: Some(2),
                cursor: cursor.take(),
                ..OrdersQuery::default()
            })
            .await
            .unwrap();
        sizes.push(page.data.len());
        seen.extend(page.data.iter().map(|o| o.order_hash));
        if page.has_more {
            assert_eq!(page.data.len(), 2, "a page with has_more is full");
            cursor = Some(page.next_cursor.expect("a cursor when has_more"));
        } else {
            assert_eq!(page.next_cursor, None, "the last page has no cursor");
            break;
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, expected);
}
