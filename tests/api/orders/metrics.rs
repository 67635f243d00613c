//! The acceptance writers in `/metrics`: group commits and the orders that reached them.

use serde_json::json;
use types::{Outcome, Side};

use crate::harness::metric_sample;
use crate::trading::{item, limit};

use super::funded;

use Outcome::Yes;
use Side::Buy;

#[tokio::test]
async fn metrics_count_the_group_commits_and_the_orders_that_reached_them() {
    let (gw, a, market) = funded("metrics").await;
    let before = gw.get("/metrics").await;
    assert_eq!(
        metric_sample::<u64>(&before.text, "acceptance_groups_total"),
        Some(0)
    );

    let two = [
        item(&a.sign(&market, &limit(Yes, Buy, 40, 1_000))),
        item(&a.sign(&market, &limit(Yes, Buy, 41, 1_000))),
    ];
    let r = a.post_orders(&gw, &two).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // One valid order beside one refused by a stateless rule: only the valid one is written.
    let mut off_tick = item(&a.sign(&market, &limit(Yes, Buy, 42, 1_000)));
    off_tick["price"] = json!("0.425");
    let mixed = [
        item(&a.sign(&market, &limit(Yes, Buy, 43, 1_000))),
        off_tick.clone(),
    ];
    let r = a.post_orders(&gw, &mixed).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Nothing valid and no idempotency key: nothing for a writer to do.
    let r = a.post_orders(&gw, &[off_tick]).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let after = gw.get("/metrics").await;
    assert!(
        after
            .text
            .contains("# TYPE acceptance_groups_total counter"),
        "{}",
        after.text
    );
    // Sequential requests on an idle gateway are committed one group each, at once.
    assert_eq!(
        metric_sample::<u64>(&after.text, "acceptance_groups_total"),
        Some(2)
    );
    assert_eq!(
        metric_sample::<u64>(&after.text, "acceptance_requests_total"),
        Some(2)
    );
    assert_eq!(
        metric_sample::<u64>(&after.text, "acceptance_orders_total"),
        Some(3)
    );
    assert_eq!(
        metric_sample::<u64>(&after.text, "acceptance_queued_requests"),
        Some(0)
    );
}
