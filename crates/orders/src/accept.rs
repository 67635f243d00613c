//! The acceptance writer: one task owns the write path of `POST /v1/orders` and commits the
//! validated batches of concurrent requests together (group commit). On PostgreSQL it is a
//! tokio task; on SQLite, whose groups are written synchronously (store's direct connection),
//! it runs on a thread of its own.
//!
//! Request workers parse, verify signatures and run steps 1–9 in parallel, then hand their
//! validated orders to the writer through a bounded queue and wait for its reply. The writer
//! takes the first waiting request and whatever else is already queued (up to
//! [`WriterConfig::max_requests`] requests or about [`WriterConfig::max_orders`] orders); when
//! it is behind, a group smaller than [`WriterConfig::fill_orders`] also waits for requests
//! still verifying signatures (see there). It runs steps 10–11 and the inserts for all of them
//! in one transaction, and answers each request with its own results only after COMMIT. If
//! anything fails, the transaction is rolled back and every request of the group gets the same
//! error: nothing of the group is accepted.
//!
//! There may be several writers, each owning the wallets whose address falls in its partition
//! ([`WriterConfig::writers`]): on PostgreSQL their transactions run side by side, and since
//! everything acceptance locks (balances, idempotency keys) and every duplicate hash belongs to
//! one wallet, partitions never wait on each other. One wallet's requests always meet the same
//! writer, so they are decided in the order they arrived. SQLite takes one writer at a time
//! anyway, so it gets one.
//! Design notes: docs/orders.md, "Acceptance and group commit".

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use engine::Engine;
use store::acceptance::{IdempotencyTarget, Submission as StoreSubmission};
use store::balances::Asset;
use store::orders::OrderRecord;
use store::{Backend, Store};
use tokio::sync::{mpsc, oneshot, Notify};
use types::{Timestamp, Wallet};

use crate::acceptance::{accept_group, Refusal};
use crate::error::{AcceptError, InlineError, OrderError};
use crate::ledger::BalanceSource;
use crate::validate::ValidatedOrder;
use crate::views::{AcceptedView, OrderResult, PlaceResponse};

/// Bounds of one group commit and of the queue in front of the writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterConfig {
    /// Requests committed together at most.
    pub max_requests: usize,
    /// A group stops taking requests once it holds this many orders (a request is never
    /// split, so a group may exceed it by one batch).
    pub max_orders: usize,
    /// Requests waiting for each writer; a full queue makes submitters wait (back-pressure).
    pub queue_capacity: usize,
    /// Writers, each with its own partition of wallets and its own transaction (at least 1).
    /// One by default, on both backends: SQLite serialises writers anyway, and on PostgreSQL,
    /// since a group is one statement (`store::acceptance::optimistic`), one writer's larger groups
    /// amortise the commit better than two writers' overlapping ones (docs/perf-log.md).
    pub writers: usize,
    /// A group smaller than this may wait for requests still verifying their signatures (0:
    /// never waits). A commit has a fixed cost its orders share, and under load a request
    /// about to arrive costs nothing to wait for while the cores verify others. So a group
    /// waits only when its writer is behind (its first request was queued before the writer
    /// was free; an idle gateway's request is committed at once), and only while at least
    /// [`WriterConfig::fill_verifying`] requests of its partition are verifying.
    pub fill_orders: usize,
    /// Requests verifying that keep a filling group waiting: with fewer, the cores would idle
    /// while it waits. The number of cores by default. Counted per partition: with several
    /// writers, each waits only for requests of its own wallets.
    pub fill_verifying: usize,
    /// The longest a group waits to fill (a timer of tokio's, so rounded up to the next
    /// millisecond).
    pub fill_wait: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            max_requests: 64,
            max_orders: 960,
            queue_capacity: 1024,
            writers: 1,
            fill_orders: 45,
            fill_verifying: std::thread::available_parallelism().map_or(2, |n| n.get()),
            fill_wait: Duration::from_millis(2),
        }
    }
}

/// One request's batch after the stateless pipeline, in item order.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The authenticated wallet (the idempotency key's scope).
    pub wallet: Wallet,
    pub results: Vec<Result<ValidatedOrder, OrderError>>,
    /// A key claimed with `idempotency::claim_key`; its response commits with the orders.
    pub idempotency_key: Option<String>,
    /// Acceptance time: `created_at` of the accepted orders.
    pub now: Timestamp,
}

/// The decision on each valid order of one request, in item order.
type Outcomes = Vec<Result<(), Refusal>>;

/// One request's part in a group commit; it goes to a writer and back to the request.
struct Batch {
    submission: Submission,
    /// What the store commits: the valid orders' records, rendered for the insert by the
    /// request (not the writer), and the idempotency key.
    stored: StoreSubmission,
}

impl Batch {
    fn results(&self, outcomes: &[Result<(), Refusal>]) -> Option<Vec<OrderResult>> {
        merge(&self.submission.results, self.stored.orders(), outcomes)
    }
}

/// The requests of one group commit, and their orders counted.
#[derive(Default)]
struct Group {
    jobs: Vec<Job>,
    orders: usize,
}

impl Group {
    fn push(&mut self, job: Job) {
        self.orders += job.batch.stored.orders().len();
        self.jobs.push(job);
    }
}

struct Job {
    batch: Batch,
    /// The batch comes back with its outcomes, so the request renders its own results.
    reply: oneshot::Sender<(Batch, Result<Outcomes, AcceptError>)>,
}

/// Where request workers submit; cheap to clone.
#[derive(Clone, Debug)]
pub struct AcceptanceHandle {
    /// One queue per writer, indexed by [`partition`].
    queues: Arc<[mpsc::Sender<Job>]>,
    /// One per writer, indexed alike.
    verifying: Arc<[Arc<Verifying>]>,
    stats: Arc<Counters>,
}

/// The group commits the writers have run since they started, whether they committed or
/// rolled back (for `/metrics`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Group commits.
    pub groups: u64,
    /// Requests in them.
    pub requests: u64,
    /// Orders in them that passed steps 1–9.
    pub orders: u64,
}

#[derive(Debug, Default)]
struct Counters {
    groups: AtomicU64,
    requests: AtomicU64,
    orders: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> WriterStats {
        WriterStats {
            groups: self.groups.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            orders: self.orders.load(Ordering::Relaxed),
        }
    }

    fn record(&self, group: &Group) {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.requests
            .fetch_add(count(group.jobs.len()), Ordering::Relaxed);
        self.orders
            .fetch_add(count(group.orders), Ordering::Relaxed);
    }
}

/// The requests of one partition that are verifying their orders and will be submitted.
#[derive(Debug)]
struct Verifying {
    count: AtomicUsize,
    /// [`WriterConfig::fill_verifying`].
    enough: usize,
    /// Signalled when `count` falls below `enough`: a writer filling its group stops waiting.
    too_few: Notify,
}

impl Verifying {
    fn enough(&self) -> bool {
        self.count.load(Ordering::Acquire) >= self.enough
    }
}

/// A request's word that it will submit to its wallet's writer once its orders are verified
/// ([`AcceptanceHandle::announce`]). It lapses when [`AcceptanceHandle::submit`] has queued
/// the request, or when it is dropped (a request that fails before submitting).
#[derive(Debug)]
pub struct Announced {
    verifying: Arc<Verifying>,
}

impl Drop for Announced {
    fn drop(&mut self) {
        if self.verifying.count.fetch_sub(1, Ordering::AcqRel) == self.verifying.enough {
            self.verifying.too_few.notify_one();
        }
    }
}

/// The writer that owns `wallet`: its address is uniformly distributed, so its last byte is.
fn partition(wallet: Wallet, writers: usize) -> usize {
    usize::from(wallet.0 .0[19]) % writers.max(1)
}

impl AcceptanceHandle {
    /// Tells `wallet`'s writer that a request of that wallet is verifying orders, so that a
    /// group being formed may wait for it; call before the verification, and pass the result
    /// to [`AcceptanceHandle::submit`].
    pub fn announce(&self, wallet: Wallet) -> Announced {
        let verifying = self.verifying[partition(wallet, self.verifying.len())].clone();
        verifying.count.fetch_add(1, Ordering::AcqRel);
        Announced { verifying }
    }

    /// Accepts what can be accepted of `submission` and returns one result per item. Waits
    /// for the group's COMMIT: every accepted order is durable when this returns.
    pub async fn submit(
        &self,
        submission: Submission,
        announced: Announced,
    ) -> Result<Vec<OrderResult>, AcceptError> {
        let records: Vec<OrderRecord> = submission
            .results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|o| o.to_record(submission.now))
            .collect();
        if records.is_empty() && submission.idempotency_key.is_none() {
            // Every item was refused by a stateless rule: nothing to write.
            let refusals: Option<Vec<OrderResult>> = submission
                .results
                .iter()
                .map(|r| r.as_ref().err().map(refused))
                .collect();
            if let Some(refusals) = refusals {
                return Ok(refusals);
            }
        }
        let idempotency = submission
            .idempotency_key
            .as_ref()
            .map(|key| IdempotencyTarget {
                wallet: submission.wallet,
                key: key.clone(),
            });
        let stored = StoreSubmission::new(records, idempotency);
        let (reply, answer) = oneshot::channel();
        let queue = &self.queues[partition(submission.wallet, self.queues.len())];
        let job = Job {
            batch: Batch { submission, stored },
            reply,
        };
        let sent = queue.send(job).await;
        // Queued (or refused): the writer has nothing more to wait for from this request.
        drop(announced);
        sent.map_err(|_| AcceptError::Stopped)?;
        let (batch, outcomes) = answer.await.map_err(|_| AcceptError::Stopped)?;
        // The store answers every order it is given, so `results` is always `Some`.
        batch.results(&outcomes?).ok_or(AcceptError::Internal)
    }

    /// The writers' totals so far (for /metrics, and for tests).
    pub fn stats(&self) -> WriterStats {
        self.stats.snapshot()
    }

    /// Requests waiting for the writers (a gauge for /metrics, and for tests).
    pub fn queued(&self) -> usize {
        self.queues
            .iter()
            .map(|q| q.max_capacity() - q.capacity())
            .sum()
    }
}

/// The tasks that own the write path, one per partition; see the module docs.
pub struct AcceptanceWriter<B> {
    partitions: Vec<PartitionWriter<B>>,
}

/// One partition's writer: its queue and what it commits with.
struct PartitionWriter<B> {
    rx: mpsc::Receiver<Job>,
    /// Where accepted orders go once committed, before their requests are answered: a cancel
    /// a client sends after the answer then reaches the matcher after the order.
    engine: Option<Engine>,
    verifying: Arc<Verifying>,
    stats: Arc<Counters>,
    store: Store,
    source: Arc<B>,
    config: WriterConfig,
}

/// The writers and the handle to submit to them. The writers do nothing until they are run
/// or spawned, and stop once every handle is dropped and their queues are drained.
pub fn acceptance_writer<B: BalanceSource>(
    store: Store,
    source: B,
    config: WriterConfig,
) -> (AcceptanceWriter<B>, AcceptanceHandle) {
    let source = Arc::new(source);
    let mut queues = Vec::new();
    let mut verifying = Vec::new();
    let mut partitions = Vec::new();
    let stats = Arc::new(Counters::default());
    for _ in 0..config.writers.max(1) {
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let partition_verifying = Arc::new(Verifying {
            count: AtomicUsize::new(0),
            enough: config.fill_verifying.max(1),
            too_few: Notify::new(),
        });
        partitions.push(PartitionWriter {
            rx,
            engine: None,
            verifying: partition_verifying.clone(),
            stats: stats.clone(),
            store: store.clone(),
            source: source.clone(),
            config,
        });
        queues.push(tx);
        verifying.push(partition_verifying);
    }
    (
        AcceptanceWriter { partitions },
        AcceptanceHandle {
            queues: queues.into(),
            verifying: verifying.into(),
            stats,
        },
    )
}

impl<B: BalanceSource> AcceptanceWriter<B> {
    /// Hands every accepted order to `engine` once its group has committed (without an
    /// engine, orders are stored and never matched: acceptance on its own, as its tests use it).
    pub fn hand_off_to(mut self, engine: Engine) -> AcceptanceWriter<B> {
        for p in &mut self.partitions {
            p.engine = Some(engine.clone());
        }
        self
    }

    /// Spawns every partition's writer; the handle ends when all of them have stopped.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    pub async fn run(self) {
        let tasks: Vec<_> = self
            .partitions
            .into_iter()
            .map(|p| match p.store.backend() {
                // The embedded store commits a group synchronously on the calling thread
                // (store's direct connection): a thread of its own, where blocking stalls no
                // other task and a request's hand-off wakes the thread that writes its orders.
                Backend::Sqlite => {
                    let runtime = tokio::runtime::Handle::current();
                    tokio::task::spawn_blocking(move || runtime.block_on(p.run()))
                }
                Backend::Postgres => tokio::spawn(p.run()),
            })
            .collect();
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "an acceptance writer stopped abnormally");
            }
        }
    }
}

impl<B: BalanceSource> PartitionWriter<B> {
    async fn run(mut self) {
        loop {
            let (first, backlog) = match self.rx.try_recv() {
                Ok(job) => (job, true),
                Err(_) => match self.rx.recv().await {
                    Some(job) => (job, false),
                    None => break,
                },
            };
            let mut group = Group::default();
            group.push(first);
            self.take_queued(&mut group);
            // A writer that was idle when the request came is keeping up: it commits at once.
            if backlog {
                self.fill(&mut group).await;
            }
            self.stats.record(&group);
            self.commit(group.jobs).await;
        }
    }

    fn full(&self, group: &Group) -> bool {
        group.jobs.len() >= self.config.max_requests || group.orders >= self.config.max_orders
    }

    /// Adds what is queued already, up to the group's bounds.
    fn take_queued(&mut self, group: &mut Group) {
        while !self.full(group) {
            match self.rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
    }

    /// Waits for requests still verifying while the group is below `fill_orders`.
    async fn fill(&mut self, group: &mut Group) {
        let deadline = tokio::time::Instant::now() + self.config.fill_wait;
        while group.orders < self.config.fill_orders && !self.full(group) && self.verifying.enough()
        {
            tokio::select! {
                job = self.rx.recv() => match job {
                    Some(job) => {
                        group.push(job);
                        self.take_queued(group);
                    }
                    None => return,
                },
                // Woken when too few are left; the loop looks again (a wake-up left over
                // from an earlier group only costs one more look).
                () = self.verifying.too_few.notified() => {}
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    async fn commit(&self, mut group: Vec<Job>) {
        // The store wants the submissions side by side; they go back into their jobs after.
        let stored: Vec<StoreSubmission> = group
            .iter_mut()
            .map(|job| std::mem::take(&mut job.batch.stored))
            .collect();
        let result = self.accept(&group, &stored).await;
        if let (Ok(all), Some(engine)) = (&result, &self.engine) {
            let accepted = stored.iter().zip(all).flat_map(|(s, outcomes)| {
                s.orders()
                    .iter()
                    .zip(outcomes)
                    .filter(|(_, outcome)| outcome.is_ok())
                    .map(|(record, _)| record.clone())
            });
            engine.hand_off(accepted.collect::<Vec<_>>()).await;
        }
        for (i, (mut job, stored)) in group.into_iter().zip(stored).enumerate() {
            job.batch.stored = stored;
            let outcomes = match &result {
                Ok(all) => all.get(i).cloned().ok_or(AcceptError::Internal),
                Err(e) => Err(*e),
            };
            // A requester that went away still had its orders accepted; nothing to do.
            let _ = job.reply.send((job.batch, outcomes));
        }
    }

    async fn accept(
        &self,
        group: &[Job],
        stored: &[StoreSubmission],
    ) -> Result<Vec<Outcomes>, AcceptError> {
        let pairs: BTreeSet<(Wallet, Asset)> = stored
            .iter()
            .flat_map(|s| s.orders())
            .map(|r| (r.wallet, r.reserved_asset()))
            .collect();
        let pairs: Vec<_> = pairs.into_iter().collect();
        let holdings = self.source.holdings(&pairs).await.map_err(|e| {
            tracing::warn!(error = %e, requests = group.len(), "acceptance refused: no balances");
            AcceptError::BalancesUnavailable
        })?;
        // Every request of a group shares one clock reading for the balance rows.
        let now = group
            .iter()
            .map(|j| j.batch.submission.now)
            .max()
            .unwrap_or_default();
        let render = |i: usize, outcomes: &[Result<(), Refusal>]| {
            let results = group
                .get(i)
                .zip(stored.get(i))
                .and_then(|(job, s)| merge(&job.batch.submission.results, s.orders(), outcomes))
                .ok_or_else(|| format!("outcomes of request {i} do not match its orders"))?;
            serde_json::to_string(&PlaceResponse { results }).map_err(|e| e.to_string())
        };
        accept_group(&self.store, stored, &holdings, now, render)
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, requests = group.len(), "group commit failed");
                if e.is_unavailable() {
                    AcceptError::Unavailable
                } else {
                    AcceptError::Internal
                }
            })
    }
}

/// One result per item: the stateless refusals as they were, the valid orders as the store
/// decided them. `None` when the outcomes do not cover the valid orders one to one.
fn merge(
    results: &[Result<ValidatedOrder, OrderError>],
    records: &[OrderRecord],
    outcomes: &[Result<(), Refusal>],
) -> Option<Vec<OrderResult>> {
    if outcomes.len() != records.len() {
        return None;
    }
    let mut decided = records.iter().zip(outcomes);
    results
        .iter()
        .map(|result| match result {
            Err(e) => Some(refused(e)),
            Ok(order) => decided.next().map(|(record, outcome)| match outcome {
                Ok(()) => OrderResult::Accepted(AcceptedView::from(record)),
                Err(Refusal::Duplicate) => refused(&OrderError::DuplicateOrder),
                Err(Refusal::InsufficientBalance { needs, available }) => {
                    refused(&order.insufficient_balance(*needs, *available))
                }
            }),
        })
        .collect()
}

fn refused(e: &OrderError) -> OrderResult {
    OrderResult::Refused {
        error: InlineError::from(e),
    }
}
