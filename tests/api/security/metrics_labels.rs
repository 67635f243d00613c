//! Metrics: no client can grow the set of exported series.

use std::collections::BTreeSet;

use futures_util::stream::{self, StreamExt};
use reqwest::Method;

use crate::harness::{metric_sample, Gateway};

/// The series of a `/metrics` text: every sample line without its value.
fn series(metrics: &str) -> BTreeSet<String> {
    metrics
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.rsplit_once(' ')
                .map_or(l, |(series, _)| series)
                .to_owned()
        })
        .collect()
}

/// What the flood sends: made-up methods (any token is a valid method) on an unmatched path, on
/// a public route and on an authenticated one, and unmatched paths with a real method; none
/// with credentials.
fn flood_request(i: usize) -> (Method, String) {
    let made_up = |prefix: &str| {
        Method::from_bytes(format!("{prefix}{i}").as_bytes()).expect("a token is a method")
    };
    match i % 4 {
        0 => (made_up("PROBE"), format!("/no/such/route/{i}")),
        1 => (made_up("X-M"), "/v1/markets".to_owned()),
        2 => (made_up("Q"), "/v1/orders".to_owned()),
        _ => (Method::GET, format!("/v1/nothing-here-{i}")),
    }
}

#[tokio::test]
async fn made_up_methods_and_unmatched_paths_never_add_series() {
    let gw = Gateway::start(&[]).await;
    let client = reqwest::Client::new();
    let send = |(method, path): (Method, String)| {
        let request = client.request(method, gw.url(&path));
        async move {
            let r = request.send().await.expect("the gateway answers");
            assert!(r.status().is_client_error(), "{path}: {}", r.status());
        }
    };
    // Warm-up: one request of each kind, then a scrape, so that every series the flood may
    // touch (its routes, `other`, `unmatched`, `/metrics` itself) exists already.
    for i in 0..4 {
        send(flood_request(i)).await;
    }
    gw.get("/metrics").await;
    let before = gw.get("/metrics").await.text;

    const FLOOD: usize = 4000;
    stream::iter((4..4 + FLOOD).map(flood_request))
        .for_each_concurrent(16, send)
        .await;

    let after = gw.get("/metrics").await.text;
    let (before_series, after_series) = (series(&before), series(&after));
    let added: Vec<_> = after_series.difference(&before_series).collect();
    assert!(added.is_empty(), "new series: {added:?}");
    assert_eq!(before_series.len(), after_series.len());
    // The flood was counted, under the one label each for unknown methods and routes.
    let unmatched = r#"http_requests_total{method="other",route="unmatched",status="404"}"#;
    let grew = metric_sample::<f64>(&after, unmatched).unwrap_or(0.0)
        - metric_sample::<f64>(&before, unmatched).unwrap_or(0.0);
    assert_eq!(grew, (FLOOD / 4) as f64, "{unmatched} in:\n{after}");
}
