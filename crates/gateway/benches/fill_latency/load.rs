//! The paced load, an open loop: every request is sent at its time, whatever the answers do.
//! The maker keeps SELLs resting ahead of the crossing orders; the taker's BUYs are the
//! crossing orders, one per request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use types::OrderHash;

use crate::common::Connection;
use crate::place::{connection, place, write_request, Failure};
use crate::Signed;

/// When each crossing order is due, and which count.
#[derive(Clone, Copy)]
pub(crate) struct Schedule {
    pub start: Instant,
    /// Between two crossing orders.
    pub every: Duration,
    /// Crossing orders before this index are the warm-up.
    pub first_measured: usize,
}

impl Schedule {
    /// When crossing order `i` is due; the maker's request `j` (its SELLs for crossing
    /// orders `j * per_request`, ...) is due with the first of them.
    pub fn due(&self, i: usize) -> Instant {
        self.start + self.every * i as u32
    }
}

/// A request of signed orders: its body, and what its answer must carry.
pub(crate) struct Request {
    pub body: Vec<u8>,
    /// `"order_hash":"0x..."` of each order, in item order.
    pub needles: Vec<Vec<u8>>,
    /// Its first order.
    pub hash: OrderHash,
}

/// The request heads of the two wallets, each up to and including `Content-Length: `.
pub(crate) struct Heads {
    pub maker: Vec<u8>,
    pub taker: Vec<u8>,
}

/// A crossing order the gateway accepted.
pub(crate) struct Answered {
    pub buy: OrderHash,
    /// When its `POST /v1/orders` answer was in.
    pub at: Instant,
    pub measured: bool,
}

/// What the senders did.
#[derive(Default)]
pub(crate) struct Sent {
    pub answered: Vec<Answered>,
    /// Measured crossing orders not accepted (each also an error).
    pub lost: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// How late each measured crossing order was sent, in microseconds.
    pub late_us: Vec<u32>,
    /// Each measured crossing order's `POST` round trip, in microseconds.
    pub post_us: Vec<u32>,
    /// How late the maker's requests were sent at the worst.
    pub maker_late: Duration,
}

impl Sent {
    pub fn merge(&mut self, other: Sent) {
        self.answered.extend(other.answered);
        self.lost += other.lost;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.late_us.extend(other.late_us);
        self.post_us.extend(other.post_us);
        self.maker_late = self.maker_late.max(other.maker_late);
    }

    fn error(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }
}

/// The maker's first `seeded` requests, one after the other, before the clock starts.
pub(crate) async fn seed(
    signed: &Signed,
    seeded: usize,
    heads: &Heads,
    addr: SocketAddr,
) -> Result<(), String> {
    let mut conn: Option<Connection> = None;
    let mut out = Vec::new();
    for request in &signed.sells[..seeded] {
        place_request(&mut conn, addr, &heads.maker, request, &mut out).await?;
    }
    Ok(())
}

/// The maker's requests after the first `seeded` (resting before the clock started), each
/// due with the first crossing order its SELLs are for; connection `k` of `connections`
/// takes requests `k`, `k + connections`, ...
pub(crate) async fn make(
    k: usize,
    connections: usize,
    signed: Arc<Signed>,
    seeded: usize,
    heads: Arc<Heads>,
    addr: SocketAddr,
    schedule: Schedule,
) -> Sent {
    let per_request = signed.sells[0].needles.len();
    let requests = &signed.sells[seeded..];
    let due = |j: usize| schedule.due(j * per_request);
    let mut sent = Sent::default();
    for (_, outcome) in paced(requests, k, connections, due, &heads.maker, addr).await {
        match outcome {
            Ok(answer) => sent.maker_late = sent.maker_late.max(answer.late),
            Err(e) => sent.error(e),
        }
    }
    sent
}

/// The taker's BUYs; connection `k` of `connections` takes BUYs `k`, `k + connections`, ...
pub(crate) async fn take(
    k: usize,
    connections: usize,
    signed: Arc<Signed>,
    heads: Arc<Heads>,
    addr: SocketAddr,
    schedule: Schedule,
) -> Sent {
    let due = |i: usize| schedule.due(i);
    let mut sent = Sent::default();
    for (i, outcome) in paced(&signed.buys, k, connections, due, &heads.taker, addr).await {
        let measured = i >= schedule.first_measured;
        match outcome {
            Ok(answer) => {
                sent.answered.push(Answered {
                    buy: signed.buys[i].hash,
                    at: answer.at,
                    measured,
                });
                if measured {
                    sent.post_us.push(micros(answer.round_trip));
                    sent.late_us.push(micros(answer.late));
                }
            }
            Err(e) => {
                sent.error(e);
                if measured {
                    sent.lost += 1;
                }
            }
        }
    }
    sent
}

/// The answer to a paced request.
struct Answer {
    /// When it came.
    at: Instant,
    round_trip: Duration,
    /// How late the request was sent.
    late: Duration,
}

/// Requests `k`, `k + n`, ... of `requests`, each sent at `due(i)` (at once when it is late)
/// on a connection of their own: each index with its answer or why there was none.
async fn paced(
    requests: &[Request],
    k: usize,
    n: usize,
    due: impl Fn(usize) -> Instant,
    head: &[u8],
    addr: SocketAddr,
) -> Vec<(usize, Result<Answer, String>)> {
    let mut conn: Option<Connection> = None;
    let mut out = Vec::with_capacity(32 * 1024);
    let mut outcomes = Vec::with_capacity(requests.len() / n + 1);
    for (i, request) in requests.iter().enumerate().skip(k).step_by(n) {
        let due = due(i);
        tokio::time::sleep_until(due.into()).await;
        let sent = Instant::now();
        let outcome = place_request(&mut conn, addr, head, request, &mut out)
            .await
            .map(|at| Answer {
                at,
                round_trip: at - sent,
                late: sent - due,
            });
        outcomes.push((i, outcome));
    }
    outcomes
}

/// Places a request on the connection in `conn` (opened when there is none; dropped after a
/// transport error): when its answer came.
async fn place_request(
    conn: &mut Option<Connection>,
    addr: SocketAddr,
    head: &[u8],
    request: &Request,
    out: &mut Vec<u8>,
) -> Result<Instant, String> {
    let c = connection(conn, addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    write_request(out, head, &request.body);
    match place(c, out, &request.needles).await {
        Ok(_) => Ok(Instant::now()),
        Err(failure) => {
            if let Failure::Io(_) = failure {
                *conn = None;
            }
            Err(failure.to_string())
        }
    }
}

pub(crate) fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}
