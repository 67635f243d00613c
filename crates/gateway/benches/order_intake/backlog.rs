//! The matcher's backlog after a round: how long after the round's last answer the matcher
//! still had accepted orders to process.
//!
//! An order is processed once it has traded or rests on the book: `GET /v1/orders/{hash}`
//! shows a status other than `OPEN`, or a `book_added_at`. The matcher takes orders in the
//! order they were accepted, so once each client's last accepted order is processed, so is
//! every order before it.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::LoadClient;

/// Between two looks at the orders still pending.
const POLL_EVERY: Duration = Duration::from_millis(1);
/// A matcher this far behind has stalled.
const GIVE_UP_AFTER: Duration = Duration::from_secs(120);

/// Waits until every client's last accepted order is processed; returns how long after
/// `last_answer` (the round's last answer) that was seen.
pub(crate) async fn wait(
    base: &str,
    clients: &[LoadClient],
    last_answer: Option<Instant>,
) -> Result<Duration, String> {
    let Some(last_answer) = last_answer else {
        return Ok(Duration::ZERO);
    };
    let http = reqwest::Client::new();
    let mut pending: Vec<&LoadClient> = clients
        .iter()
        .filter(|c| c.last_accepted.is_some())
        .collect();
    loop {
        let looked = Instant::now();
        let mut still = Vec::with_capacity(pending.len());
        for client in pending {
            if !processed(&http, base, client).await? {
                still.push(client);
            }
        }
        pending = still;
        let now = Instant::now();
        if pending.is_empty() {
            return Ok(now.saturating_duration_since(last_answer));
        }
        if now - last_answer > GIVE_UP_AFTER {
            return Err(format!(
                "the matcher had not processed every accepted order {GIVE_UP_AFTER:?} after the last answer"
            ));
        }
        tokio::time::sleep_until((looked + POLL_EVERY).into()).await;
    }
}

/// Whether the matcher has taken the client's last accepted order.
async fn processed(
    http: &reqwest::Client,
    base: &str,
    client: &LoadClient,
) -> Result<bool, String> {
    let Some(hash) = client.last_accepted else {
        return Ok(true);
    };
    let url = format!("{base}/v1/orders/{hash}");
    let response = http
        .get(&url)
        .header("fs-api-key", &client.api_key.key_id)
        .header("fs-api-secret", &client.api_key.secret)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if response.status() != 200 {
        return Err(format!("GET {url}: {}", response.status()));
    }
    let order: Value = response
        .json()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    Ok(order["status"] != "OPEN" || !order["book_added_at"].is_null())
}
