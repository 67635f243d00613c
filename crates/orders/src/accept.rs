//! The acceptance writer: one tokio task owns the write path of `POST /v1/orders` and commits
//! the validated batches of concurrent requests together (group commit).
//!
//! Request workers parse, verify signatures and run steps 1–9 in parallel, then hand their
//! validated orders to the writer through a bounded queue and wait for its reply. The writer
//! takes the first waiting request and whatever else is already queued (up to
//! [`WriterConfig::max_requests`] requests or about [`WriterConfig::max_orders`] orders), runs
//! steps 10–11 and the inserts for all of them in one transaction, and answers each request
//! with its own results only after COMMIT. If anything fails, the transaction is rolled back
//! and every request of the group gets the same error: nothing of the group is accepted.
//! Design notes: docs/orders.md, "Acceptance and group commit".

use std::collections::BTreeSet;

use store::acceptance::{IdempotencyTarget, Refusal, Submission as StoreSubmission};
use store::balances::Asset;
use store::orders::OrderRecord;
use store::Store;
use tokio::sync::{mpsc, oneshot};
use types::{Timestamp, Wallet};

use crate::error::{InlineError, OrderError};
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
    /// Requests waiting for the writer; a full queue makes submitters wait (back-pressure).
    pub queue_capacity: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            max_requests: 64,
            max_orders: 960,
            queue_capacity: 1024,
        }
    }
}

/// One request's batch after the stateless pipeline, in item order.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The authenticated wallet (the idempotency key's scope).
    pub wallet: Wallet,
    pub results: Vec<Result<ValidatedOrder, OrderError>>,
    /// A key claimed with `Store::claim_idempotency_key`; its response commits with the orders.
    pub idempotency_key: Option<String>,
    /// Acceptance time: `created_at` of the accepted orders.
    pub now: Timestamp,
}

/// Why a request got no results: nothing of it was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AcceptError {
    #[error("The database is unavailable; retry shortly")]
    Unavailable,
    #[error("The orders could not be stored")]
    Internal,
    #[error("The gateway is shutting down; retry shortly")]
    Stopped,
}

struct Job {
    submission: Submission,
    /// The records of the submission's valid orders, in item order.
    records: Vec<OrderRecord>,
    reply: oneshot::Sender<Result<Vec<OrderResult>, AcceptError>>,
}

/// Where request workers submit; cheap to clone.
#[derive(Clone, Debug)]
pub struct AcceptanceHandle {
    tx: mpsc::Sender<Job>,
}

impl AcceptanceHandle {
    /// Accepts what can be accepted of `submission` and returns one result per item. Waits
    /// for the group's COMMIT: every accepted order is durable when this returns.
    pub async fn submit(&self, submission: Submission) -> Result<Vec<OrderResult>, AcceptError> {
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
        let (reply, answer) = oneshot::channel();
        let job = Job {
            submission,
            records,
            reply,
        };
        self.tx.send(job).await.map_err(|_| AcceptError::Stopped)?;
        answer.await.map_err(|_| AcceptError::Stopped)?
    }

    /// Requests waiting for the writer (a gauge for /metrics, and for tests).
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

/// The task that owns the write path; see the module docs.
pub struct AcceptanceWriter<B> {
    rx: mpsc::Receiver<Job>,
    store: Store,
    source: B,
    config: WriterConfig,
}

/// A writer and the handle to submit to it. The writer does nothing until it is run or
/// spawned, and stops once every handle is dropped and the queue is drained.
pub fn acceptance_writer<B: BalanceSource>(
    store: Store,
    source: B,
    config: WriterConfig,
) -> (AcceptanceWriter<B>, AcceptanceHandle) {
    let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
    let writer = AcceptanceWriter {
        rx,
        store,
        source,
        config,
    };
    (writer, AcceptanceHandle { tx })
}

impl<B: BalanceSource> AcceptanceWriter<B> {
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    pub async fn run(mut self) {
        while let Some(first) = self.rx.recv().await {
            let mut orders = first.records.len();
            let mut group = vec![first];
            while group.len() < self.config.max_requests && orders < self.config.max_orders {
                match self.rx.try_recv() {
                    Ok(job) => {
                        orders += job.records.len();
                        group.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.commit(group).await;
        }
    }

    async fn commit(&self, group: Vec<Job>) {
        match self.accept(&group).await {
            Ok(outcomes) => {
                for (job, outcomes) in group.into_iter().zip(outcomes) {
                    // The store answers every order it is given, so this is always `Some`.
                    let results = merge(&job, &outcomes).ok_or(AcceptError::Internal);
                    // A requester that went away still had its orders accepted; nothing to do.
                    let _ = job.reply.send(results);
                }
            }
            Err(e) => {
                for job in group {
                    let _ = job.reply.send(Err(e));
                }
            }
        }
    }

    async fn accept(&self, group: &[Job]) -> Result<Vec<Vec<Result<(), Refusal>>>, AcceptError> {
        let pairs: BTreeSet<(Wallet, Asset)> = group
            .iter()
            .flat_map(|j| &j.records)
            .map(|r| (r.wallet, r.reserved_asset()))
            .collect();
        let pairs: Vec<_> = pairs.into_iter().collect();
        let holdings = self.source.holdings(&pairs).await.map_err(|e| {
            tracing::warn!(error = %e, requests = group.len(), "acceptance refused: no balances");
            AcceptError::Unavailable
        })?;
        let submissions: Vec<StoreSubmission> =
            group
                .iter()
                .map(|j| StoreSubmission {
                    orders: j.records.clone(),
                    idempotency: j.submission.idempotency_key.as_ref().map(|key| {
                        IdempotencyTarget {
                            wallet: j.submission.wallet,
                            key: key.clone(),
                        }
                    }),
                })
                .collect();
        // Every request of a group shares one clock reading for the balance rows.
        let now = group
            .iter()
            .map(|j| j.submission.now)
            .max()
            .unwrap_or_default();
        let render = |i: usize, outcomes: &[Result<(), Refusal>]| {
            let results = group
                .get(i)
                .and_then(|job| merge(job, outcomes))
                .ok_or_else(|| format!("outcomes of request {i} do not match its orders"))?;
            serde_json::to_string(&PlaceResponse { results }).map_err(|e| e.to_string())
        };
        self.store
            .accept_orders(&submissions, &holdings, now, render)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, requests = group.len(), "group commit failed");
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
fn merge(job: &Job, outcomes: &[Result<(), Refusal>]) -> Option<Vec<OrderResult>> {
    if outcomes.len() != job.records.len() {
        return None;
    }
    let mut decided = job.records.iter().zip(outcomes);
    job.submission
        .results
        .iter()
        .map(|result| match result {
            Err(e) => Some(refused(e)),
            Ok(_) => decided.next().map(|(record, outcome)| match outcome {
                Ok(()) => OrderResult::Accepted(AcceptedView::from(record)),
                Err(Refusal::Duplicate) => refused(&OrderError::DuplicateOrder),
                Err(Refusal::InsufficientBalance) => refused(&OrderError::InsufficientBalance),
            }),
        })
        .collect()
}

fn refused(e: &OrderError) -> OrderResult {
    OrderResult::Refused {
        error: InlineError::from(e),
    }
}
