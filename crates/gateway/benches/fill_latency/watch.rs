//! The watcher: polls the taker's newest fills and notes when each order's fill was first
//! listed.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::oneshot;
use types::OrderHash;

use crate::common::Connection;
use crate::load::micros;
use crate::place::RESPONSE_TIMEOUT;

/// Fills per page: a poll finds one or two new ones; the cursor is followed when a page holds
/// nothing seen before.
const PAGE: usize = 10;
/// How long the watcher goes on looking once every pair was sent.
const LINGER: Duration = Duration::from_secs(10);

/// What the watcher saw.
#[derive(Default)]
pub(crate) struct Seen {
    /// When a poll's answer first listed a fill of each order.
    pub first_listed: HashMap<OrderHash, Instant>,
    /// Orders whose first fill was as the maker: they rested before a SELL came.
    pub rested: HashSet<OrderHash>,
    /// Between two consecutive polls' answers, in microseconds: how long a fill committed
    /// just after one poll read the list can wait to be seen.
    pub period_us: Vec<u32>,
    /// Each poll's round trip, every page of it, in microseconds.
    pub round_trip_us: Vec<u32>,
    pub pages: u64,
}

#[derive(Deserialize)]
struct FillsPage {
    data: Vec<FillRow>,
    next_cursor: Option<String>,
    has_more: bool,
}

#[derive(Deserialize)]
struct FillRow {
    order_hash: OrderHash,
    role: String,
}

/// Polls `GET /v1/fills` with `headers` (the taker's key) every `every`, back to back when a
/// poll takes longer, until `expected` names the orders to wait for and all are listed, or
/// `LINGER` after that.
pub(crate) async fn watch(
    addr: SocketAddr,
    headers: String,
    every: Duration,
    mut expected: oneshot::Receiver<HashSet<OrderHash>>,
) -> Result<Seen, String> {
    let mut seen = Seen::default();
    let mut conn = Connection::open(addr)
        .await
        .map_err(|e| format!("the watcher's connection: {e}"))?;
    let mut waiting_for: Option<(HashSet<OrderHash>, Instant)> = None;
    let mut last_answer: Option<Instant> = None;
    // On the timer's ticks rather than `every` after each poll's start: the timer rounds a
    // deadline up to its next millisecond, which would make every period close to two.
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let started = Instant::now();
        poll(&mut conn, addr, &headers, &mut seen).await?;
        let answered = Instant::now();
        seen.round_trip_us.push(micros(answered - started));
        if let Some(previous) = last_answer.replace(answered) {
            seen.period_us.push(micros(answered - previous));
        }
        if waiting_for.is_none() {
            if let Ok(orders) = expected.try_recv() {
                waiting_for = Some((orders, answered));
            }
        }
        if let Some((orders, since)) = &mut waiting_for {
            orders.retain(|o| !seen.first_listed.contains_key(o));
            if orders.is_empty() || answered - *since > LINGER {
                return Ok(seen);
            }
        }
    }
}

/// One poll: the newest page, and older ones while a page holds only fills not seen before.
async fn poll(
    conn: &mut Connection,
    addr: SocketAddr,
    headers: &str,
    seen: &mut Seen,
) -> Result<(), String> {
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit={PAGE}&cursor={c}"),
            None => format!("limit={PAGE}"),
        };
        let request = format!("GET /v1/fills?{query} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n");
        let response = tokio::time::timeout(RESPONSE_TIMEOUT, conn.exchange(request.as_bytes()))
            .await
            .map_err(|_| "GET /v1/fills: no response".to_owned())?
            .map_err(|e| format!("GET /v1/fills: {e}"))?;
        let answered = Instant::now();
        if response.status != 200 {
            return Err(format!(
                "GET /v1/fills: status {}: {}",
                response.status,
                String::from_utf8_lossy(response.body)
            ));
        }
        let page: FillsPage =
            serde_json::from_slice(response.body).map_err(|e| format!("GET /v1/fills: {e}"))?;
        seen.pages += 1;
        let mut all_new = true;
        for fill in &page.data {
            let known = seen.first_listed.contains_key(&fill.order_hash);
            all_new &= !known;
            if !known {
                seen.first_listed.insert(fill.order_hash, answered);
                if fill.role != "TAKER" {
                    seen.rested.insert(fill.order_hash);
                }
            }
        }
        match page.next_cursor {
            Some(next) if all_new && page.has_more => cursor = Some(next),
            _ => return Ok(()),
        }
    }
}
