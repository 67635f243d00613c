//! One market's matcher: the only writer of its book, its orders' progress and its sequence.
//!
//! It takes requests in the order they reach its queue (accepted orders, cancels, status
//! changes) and, every second, the `GTD` orders whose time has come. What it has taken at
//! once forms a batch: the commands run on the core ([`apply`]), and everything they did is
//! committed in one transaction ([`commit`]) that ends with the compare-and-set of the
//! market's sequence. Only after COMMIT do the views change, subscribers hear of it and
//! waiting requests get their answers; on any error the batch's requests get the error and
//! the market is rebuilt from the database ([`recovery`]), where nothing of the batch is.

mod apply;
mod batch;
mod commit;
pub(crate) mod recovery;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use market_data::BookViews;
use store::orders::OrderRecord;
use store::Store;
use tokio::sync::{broadcast, mpsc, oneshot};
use types::{
    MarketKey, MarketStatus, OrderHash, Outcome, Price, Side, Size, Timestamp, Wallet, Wei,
};

use crate::core::{Command, Market};
use crate::feed::MarketBatch;
use crate::handle::EngineError;
use crate::settlement::Settlement;
use batch::Batch;

/// What a matcher is asked to do.
pub(crate) enum Request {
    /// An accepted order (its row, committed; the hand-off).
    Place(OrderRecord),
    /// An order a (re)load found not processed yet.
    Loaded(OrderRecord),
    /// Cancel a wallet's live orders of this market; answers the hashes cancelled.
    Cancel {
        wallet: Wallet,
        target: CancelTarget,
        reply: oneshot::Sender<Result<Vec<OrderHash>, EngineError>>,
    },
    /// The market's status changed (already stored by the operator's request).
    Status {
        status: MarketStatus,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
}

/// Which of a wallet's live orders of the market a cancel names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelTarget {
    Hashes(Vec<OrderHash>),
    /// Every live order of the wallet with this outcome and side (each `None`: any).
    Matching {
        outcome: Option<Outcome>,
        side: Option<Side>,
    },
}

/// What the matcher knows of a market beyond its book.
#[derive(Clone, Debug)]
pub(crate) struct Terms {
    pub market: MarketKey,
    /// For logs.
    pub label: String,
    /// The conditional-tokens contract, which holds the collateral of minted pairs.
    pub escrow: Wallet,
}

/// What a status means to the matcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trading(MarketStatus);

impl Trading {
    pub fn trades(self) -> bool {
        self.0 == MarketStatus::Open
    }

    /// `PAUSED` (and `SEEDING`) keep the book and match nothing; `CLOSED` and `RESOLVED`
    /// cancel every resting order.
    pub fn keeps_book(self) -> bool {
        matches!(
            self.0,
            MarketStatus::Open | MarketStatus::Paused | MarketStatus::Seeding
        )
    }
}

/// An order the matcher holds: on the book, or accepted while the market was paused.
#[derive(Clone, Debug)]
pub(crate) struct Tracked {
    pub record: OrderRecord,
    pub filled: Size,
    pub notional: u128,
    pub reserved: Wei,
    pub priority: Option<u64>,
}

impl Tracked {
    pub fn new(record: OrderRecord) -> Tracked {
        Tracked {
            filled: Size::from_hundredths(record.size.hundredths() - record.remaining.hundredths()),
            reserved: record.reserved,
            notional: 0,
            priority: None,
            record,
        }
    }

    /// The expiration in Unix seconds, when it has one that fits.
    pub fn expires_at(&self) -> Option<i64> {
        if self.record.expiration.is_zero() {
            return None;
        }
        i64::try_from(self.record.expiration).ok()
    }
}

/// What a matcher shares with the rest of the engine.
#[derive(Clone)]
pub(crate) struct Shared {
    pub store: Store,
    pub views: Arc<BookViews>,
    pub feed: broadcast::Sender<Arc<MarketBatch>>,
    pub settlement: Arc<dyn Settlement>,
    pub fee_wallet: Wallet,
    /// Requests one batch takes at most.
    pub max_batch: usize,
}

pub(crate) struct Matcher {
    terms: Terms,
    status: Trading,
    core: Market,
    orders: HashMap<OrderHash, Tracked>,
    /// Orders accepted while the market was paused, in the order they came.
    deferred: VecDeque<OrderHash>,
    /// Resting `GTD` orders by expiration (Unix seconds); stale entries are skipped.
    expiries: BinaryHeap<Reverse<(i64, OrderHash)>>,
    /// The last committed seq.
    seq: u64,
    last_price: Option<Price>,
    /// Orders a (re)load found not yet processed: their hand-off may still be in the queue,
    /// and must not be taken twice.
    loaded_pending: HashSet<OrderHash>,
    /// A batch failed: the market must be rebuilt from the database before the next one.
    needs_reload: bool,
    /// A batch failed for a reason other than the database being out of reach: the orders it
    /// held are taken again one per batch, to find the one that fails on its own.
    isolating: bool,
    /// Orders whose batch failed on their own: left unprocessed (live, reserved) and skipped
    /// until an operator has looked, so that one order cannot stop its market.
    quarantined: HashSet<OrderHash>,
    shared: Shared,
    rx: mpsc::Receiver<Request>,
}

/// How often the matcher looks for `GTD` orders whose time has come (the contract allows 5 s).
const EXPIRY_TICK: Duration = Duration::from_secs(1);

/// Between attempts to rebuild a market whose database is out of reach.
const RELOAD_RETRY: Duration = Duration::from_millis(500);

impl Matcher {
    /// The matcher's loop, until every sender of its queue is gone.
    pub async fn run(mut self, pending: Vec<OrderRecord>) {
        self.take_pending(pending).await;
        let mut tick = tokio::time::interval(EXPIRY_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let mut requests = Vec::new();
            tokio::select! {
                request = self.rx.recv() => match request {
                    Some(r) => requests.push(r),
                    None => break,
                },
                _ = tick.tick() => {}
            }
            while requests.len() < self.shared.max_batch {
                match self.rx.try_recv() {
                    Ok(r) => requests.push(r),
                    Err(_) => break,
                }
            }
            self.batch(requests).await;
            if self.needs_reload && !self.reload().await {
                break;
            }
        }
    }

    /// Orders a (re)load found not yet processed, in acceptance order; stops at a failed
    /// batch (the reload that follows finds the rest again).
    async fn take_pending(&mut self, pending: Vec<OrderRecord>) {
        let pending: Vec<OrderRecord> = pending
            .into_iter()
            .filter(|r| !self.quarantined.contains(&r.order_hash))
            .collect();
        let per_batch = if self.isolating {
            1
        } else {
            self.shared.max_batch.max(1)
        };
        for chunk in pending.chunks(per_batch) {
            let requests = chunk.iter().cloned().map(Request::Loaded).collect();
            self.batch(requests).await;
            if self.needs_reload {
                return;
            }
        }
        self.isolating = false;
    }

    /// One batch: run, commit, then publish and answer (or reload).
    async fn batch(&mut self, requests: Vec<Request>) {
        let now = Timestamp::now();
        let mut batch = Batch::new(self.terms.market, self.seq + 1, now);
        self.expire_due(&mut batch);
        let mut replies = Vec::new();
        let lone_order = match requests.as_slice() {
            [Request::Place(r) | Request::Loaded(r)] => Some(r.order_hash),
            _ => None,
        };
        for request in requests {
            match request {
                Request::Place(record) => {
                    let hash = record.order_hash;
                    // A hand-off of an order a reload already took, or a second hand-off.
                    if self.loaded_pending.remove(&hash)
                        || self.orders.contains_key(&hash)
                        || self.quarantined.contains(&hash)
                    {
                        continue;
                    }
                    self.take(record, &mut batch);
                }
                Request::Loaded(record) => {
                    if !self.orders.contains_key(&record.order_hash) {
                        self.take(record, &mut batch);
                    }
                }
                Request::Cancel {
                    wallet,
                    target,
                    reply,
                } => {
                    let cancelled = self.cancel(wallet, &target, &mut batch);
                    replies.push(Reply::Cancel(reply, cancelled));
                }
                Request::Status { status, reply } => {
                    self.set_status(status, &mut batch);
                    replies.push(Reply::Status(reply));
                }
            }
        }
        if batch.is_empty() {
            answer(replies, Ok(()));
            return;
        }
        match commit::commit(&self.shared.store, &batch).await {
            Ok(()) => {
                self.seq = batch.seq;
                if batch.last_price.is_some() {
                    self.last_price = batch.last_price;
                }
                self.publish(&batch);
                answer(replies, Ok(()));
            }
            Err(e) => {
                tracing::error!(market = %self.terms.label, seq = batch.seq, error = %e, "a matcher batch failed; rebuilding the market from the database");
                if !e.is_transient() {
                    match lone_order {
                        Some(hash) if self.isolating => {
                            tracing::error!(market = %self.terms.label, order = %hash, error = %e, "an order fails its batch on its own: it is left unprocessed until an operator looks at it");
                            self.quarantined.insert(hash);
                        }
                        _ => self.isolating = true,
                    }
                }
                answer(replies, Err(e));
                self.needs_reload = true;
            }
        }
    }

    /// The views and subscribers learn what the committed batch did.
    fn publish(&self, batch: &Batch) {
        self.shared.views.publish(
            self.terms.market,
            recovery::book_state(&self.core, self.seq, self.last_price),
        );
        // No subscriber is not an error.
        let _ = self.shared.feed.send(Arc::new(batch.published()));
    }

    /// Takes the wallet's named live orders off the book (or out of the paused queue).
    fn cancel(
        &mut self,
        wallet: Wallet,
        target: &CancelTarget,
        batch: &mut Batch,
    ) -> Vec<OrderHash> {
        let mut named: Vec<OrderHash> = match target {
            CancelTarget::Hashes(hashes) => hashes
                .iter()
                .filter(|h| {
                    self.orders
                        .get(h)
                        .is_some_and(|t| t.record.wallet == wallet)
                })
                .copied()
                .collect(),
            CancelTarget::Matching { outcome, side } => {
                let mut mine: Vec<(&Tracked, OrderHash)> = self
                    .orders
                    .iter()
                    .filter(|(_, t)| {
                        t.record.wallet == wallet
                            && outcome.is_none_or(|o| o == t.record.outcome)
                            && side.is_none_or(|s| s == t.record.side)
                    })
                    .map(|(h, t)| (t, *h))
                    .collect();
                mine.sort_by_key(|(t, h)| (t.priority, *h));
                mine.into_iter().map(|(_, h)| h).collect()
            }
        };
        named.dedup();
        let mut cancelled = Vec::with_capacity(named.len());
        for hash in named {
            if self.core.book().contains(&hash) {
                self.execute(Command::Cancel(hash), batch);
            } else {
                self.deferred.retain(|h| *h != hash);
                self.close_unbooked(hash, types::OrderStatus::Cancelled, "requested", batch);
            }
            cancelled.push(hash);
        }
        cancelled
    }

    fn set_status(&mut self, status: MarketStatus, batch: &mut Batch) {
        self.status = Trading(status);
        if self.status.trades() {
            // Resumed: what came while paused is taken now, in order.
            let deferred: Vec<OrderHash> = self.deferred.drain(..).collect();
            for hash in deferred {
                if let Some(t) = self.orders.remove(&hash) {
                    self.take(t.record, batch);
                }
            }
        } else if !self.status.keeps_book() {
            self.execute(Command::CancelAll, batch);
            let deferred: Vec<OrderHash> = self.deferred.drain(..).collect();
            for hash in deferred {
                self.close_unbooked(hash, types::OrderStatus::Cancelled, "market_closed", batch);
            }
        }
    }

    /// Expires every resting `GTD` order whose expiration has passed.
    fn expire_due(&mut self, batch: &mut Batch) {
        let now_secs = batch.now.0.div_euclid(1000);
        while let Some(Reverse((at, hash))) = self.expiries.peek().copied() {
            if at > now_secs {
                break;
            }
            self.expiries.pop();
            if self.core.book().contains(&hash) {
                self.execute(Command::Expire(hash), batch);
            }
        }
    }
}

enum Reply {
    Cancel(
        oneshot::Sender<Result<Vec<OrderHash>, EngineError>>,
        Vec<OrderHash>,
    ),
    Status(oneshot::Sender<Result<(), EngineError>>),
}

fn answer(replies: Vec<Reply>, outcome: Result<(), EngineError>) {
    for reply in replies {
        // A requester that went away needs no answer.
        match reply {
            Reply::Cancel(tx, hashes) => {
                let _ = tx.send(outcome.clone().map(|()| hashes));
            }
            Reply::Status(tx) => {
                let _ = tx.send(outcome.clone());
            }
        }
    }
}
