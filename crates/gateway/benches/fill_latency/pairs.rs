//! The paced load: crossing pairs sent on the clock, whatever the answers do (an open loop).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use types::OrderHash;

use crate::common::Connection;
use crate::place::{connection, place, write_request, Failure};
use crate::{Pair, SignedOne};

/// When each pair is due, and which count.
#[derive(Clone, Copy)]
pub(crate) struct Schedule {
    pub start: Instant,
    /// Between two pairs.
    pub every: Duration,
    /// Pairs before this index are the warm-up.
    pub first_measured: usize,
}

impl Schedule {
    pub fn due(&self, i: usize) -> Instant {
        self.start + self.every * i as u32
    }
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

/// What one sender did.
#[derive(Default)]
pub(crate) struct Sent {
    pub answered: Vec<Answered>,
    /// Measured pairs whose BUY was not accepted (an error).
    pub lost: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// How late each measured pair was sent, in microseconds.
    pub late_us: Vec<u32>,
    /// Each measured order's `POST` round trip, in microseconds.
    pub post_us: Vec<u32>,
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
    }
}

/// Sender `k` of `senders`: pairs `k`, `k + senders`, ... each at its time (at once when it is
/// late), the SELL first and, once it is accepted, the BUY, on a connection of its own.
pub(crate) async fn send(
    k: usize,
    senders: usize,
    pairs: Arc<[Pair]>,
    heads: Arc<Heads>,
    addr: SocketAddr,
    schedule: Schedule,
) -> Sent {
    let mut sent = Sent::default();
    let mut conn: Option<Connection> = None;
    let mut out = Vec::with_capacity(4096);
    for (i, pair) in pairs.iter().enumerate().skip(k).step_by(senders) {
        let measured = i >= schedule.first_measured;
        let due = schedule.due(i);
        tokio::time::sleep_until(due.into()).await;
        let late = micros(due.elapsed());
        let outcome = match place_one(&mut conn, addr, &heads.maker, &pair.sell, &mut out).await {
            Ok((_, sell_us)) => place_one(&mut conn, addr, &heads.taker, &pair.buy, &mut out)
                .await
                .map(|(at, buy_us)| (at, [sell_us, buy_us])),
            Err(e) => Err(e),
        };
        match outcome {
            Ok((at, round_trips)) => {
                sent.answered.push(Answered {
                    buy: pair.buy.hash,
                    at,
                    measured,
                });
                if measured {
                    sent.post_us.extend(round_trips);
                }
            }
            Err(e) => {
                sent.errors += 1;
                sent.first_error.get_or_insert(e);
                if measured {
                    sent.lost += 1;
                }
            }
        }
        if measured {
            sent.late_us.push(late);
        }
    }
    sent
}

/// Places one order on the connection in `conn` (opened when there is none; dropped after a
/// transport error): when its answer came, and its round trip in microseconds.
async fn place_one(
    conn: &mut Option<Connection>,
    addr: SocketAddr,
    head: &[u8],
    order: &SignedOne,
    out: &mut Vec<u8>,
) -> Result<(Instant, u32), String> {
    let c = connection(conn, addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    write_request(out, head, &order.body);
    let started = Instant::now();
    match place(c, out, std::slice::from_ref(&order.needle)).await {
        Ok(_) => {
            let at = Instant::now();
            Ok((at, micros(at - started)))
        }
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
