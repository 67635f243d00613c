//! The engine as the rest of the gateway sees it: one matcher task per market, reached through
//! its queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use market_data::BookViews;
use store::markets::MarketRecord;
use store::matching::LiveOrder;
use store::orders::OrderRecord;
use store::{Store, StoreError};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use types::{MarketKey, MarketStatus, OrderHash, Wallet};

use crate::feed::MarketBatch;
use crate::ledger::LedgerError;
use crate::matcher::{recovery, CancelTarget, Matcher, Request, Shared};
use crate::settlement::Settlement;

/// Why the engine could not do what it was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The database is out of reach; retry shortly.
    #[error("The database is unavailable; retry shortly")]
    Unavailable,
    /// The gateway is shutting down.
    #[error("The matching engine is shutting down")]
    Stopped,
    /// Another writer committed a batch of the market (the fence held).
    #[error("{0}")]
    Fenced(String),
    /// The engine runs no matcher for this market.
    #[error("no matcher runs for market {0}")]
    UnknownMarket(String),
    /// A market the engine cannot run.
    #[error("the market cannot be matched: {0}")]
    Market(String),
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// True when retrying the same work later may succeed: the database was out of reach, the
    /// gateway is stopping, or another writer moved the market's sequence (a reload re-reads
    /// it). Anything else would fail again on the same input.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EngineError::Unavailable | EngineError::Stopped | EngineError::Fenced(_)
        )
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> EngineError {
        match e {
            StoreError::Closed => EngineError::Stopped,
            e if e.is_unavailable() => EngineError::Unavailable,
            e @ StoreError::Fenced { .. } => EngineError::Fenced(e.to_string()),
            e => EngineError::Internal(e.to_string()),
        }
    }
}

impl From<LedgerError> for EngineError {
    fn from(e: LedgerError) -> EngineError {
        EngineError::Internal(e.to_string())
    }
}

/// How the engine runs.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    /// Where fees and rounding remainders go (`FS_FEE_WALLET`).
    pub fee_wallet: Wallet,
    /// Requests one matcher batch takes at most.
    pub max_batch: usize,
    /// Requests waiting for each matcher; a full queue makes senders wait.
    pub queue_capacity: usize,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            fee_wallet: Wallet::ZERO,
            max_batch: 512,
            queue_capacity: 65_536,
        }
    }
}

/// The matching engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Shared,
    config: EngineConfig,
    matchers: RwLock<HashMap<MarketKey, mpsc::Sender<Request>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// Batches kept for subscribers that are slow to read them.
const FEED_CAPACITY: usize = 4096;

impl Engine {
    /// Rebuilds every market's book from the database and starts its matcher, which first
    /// takes the orders accepted but not processed before the last stop. Returns once every
    /// book is rebuilt.
    pub async fn start(
        store: Store,
        markets: Vec<MarketRecord>,
        views: Arc<BookViews>,
        settlement: Arc<dyn Settlement>,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        let engine = Engine {
            inner: Arc::new(Inner {
                shared: Shared {
                    store: store.clone(),
                    views,
                    feed,
                    settlement,
                    fee_wallet: config.fee_wallet,
                    max_batch: config.max_batch.max(1),
                },
                config,
                matchers: RwLock::new(HashMap::new()),
                tasks: Mutex::new(Vec::new()),
            }),
        };
        let mut live: HashMap<MarketKey, Vec<LiveOrder>> = HashMap::new();
        for order in store.live_orders(None).await? {
            let key = MarketKey {
                condition_id: order.record.condition_id,
                chain_id: order.record.chain_id,
            };
            live.entry(key).or_default().push(order);
        }
        for market in &markets {
            let key = recovery::terms_of(market).market;
            let orders = live.remove(&key).unwrap_or_default();
            engine.start_market(market, orders).await?;
        }
        for (key, orders) in live {
            tracing::error!(condition_id = %key.condition_id, chain_id = key.chain_id.0, orders = orders.len(), "live orders of a market the catalog does not hold are not matched");
        }
        Ok(engine)
    }

    /// Starts the matcher of a market created after start-up; nothing when it runs already.
    pub async fn add_market(&self, market: &MarketRecord) -> Result<(), EngineError> {
        let key = recovery::terms_of(market).market;
        if self.sender(&key).is_some() {
            return Ok(());
        }
        let live = self.inner.shared.store.live_orders(Some(&key)).await?;
        self.start_market(market, live).await
    }

    async fn start_market(
        &self,
        market: &MarketRecord,
        live: Vec<LiveOrder>,
    ) -> Result<(), EngineError> {
        let terms = recovery::terms_of(market);
        let scale = match recovery::scale_of(market) {
            Ok(scale) => scale,
            Err(e) => {
                // Its orders stay accepted and unprocessed; the rest of the markets run.
                tracing::error!(market = %terms.label, error = %e, "a market is not matched");
                return Ok(());
            }
        };
        let store = &self.inner.shared.store;
        let seq = store
            .market_seq(&terms.market)
            .await?
            .ok_or_else(|| EngineError::UnknownMarket(terms.label.clone()))?;
        let last_price = recovery::last_price(store, &terms.market).await?;
        let loaded = recovery::load(scale, &terms.label, live);
        let (tx, rx) = mpsc::channel(self.inner.config.queue_capacity.max(1));
        let (matcher, pending) = Matcher::new(
            market,
            loaded,
            seq,
            last_price,
            self.inner.shared.clone(),
            rx,
        );
        let mut matchers = self
            .inner
            .matchers
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if matchers.contains_key(&terms.market) {
            return Ok(());
        }
        matchers.insert(terms.market, tx);
        let task = tokio::spawn(matcher.run(pending));
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
        Ok(())
    }

    fn sender(&self, market: &MarketKey) -> Option<mpsc::Sender<Request>> {
        self.inner
            .matchers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(market)
            .cloned()
    }

    /// Hands accepted orders, committed, to their markets' matchers, in the order given. An
    /// order whose market runs no matcher stays accepted and unprocessed (logged).
    pub async fn hand_off(&self, orders: impl IntoIterator<Item = OrderRecord>) {
        for order in orders {
            let key = MarketKey {
                condition_id: order.condition_id,
                chain_id: order.chain_id,
            };
            let hash = order.order_hash;
            let sent = match self.sender(&key) {
                Some(tx) => tx.send(Request::Place(order)).await.is_ok(),
                None => false,
            };
            if !sent {
                tracing::error!(order = %hash, condition_id = %key.condition_id, "an accepted order reached no matcher");
            }
        }
    }

    /// Cancels the wallet's named live orders of a market once its matcher has committed the
    /// cancel; returns the hashes cancelled.
    pub async fn cancel(
        &self,
        market: MarketKey,
        wallet: Wallet,
        target: CancelTarget,
    ) -> Result<Vec<OrderHash>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.ask(
            &market,
            Request::Cancel {
                wallet,
                target,
                reply,
            },
        )
        .await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Tells a market's matcher its new status (stored already) and waits until what it
    /// implies (a closed market's orders cancelled) has committed.
    pub async fn set_status(
        &self,
        market: MarketKey,
        status: MarketStatus,
    ) -> Result<(), EngineError> {
        let (reply, answer) = oneshot::channel();
        self.ask(&market, Request::Status { status, reply }).await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    async fn ask(&self, market: &MarketKey, request: Request) -> Result<(), EngineError> {
        let tx = self.sender(market).ok_or_else(|| {
            EngineError::UnknownMarket(format!(
                "{} on chain {}",
                market.condition_id, market.chain_id.0
            ))
        })?;
        tx.send(request).await.map_err(|_| EngineError::Stopped)
    }

    /// Every batch committed from now on, as it commits.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<MarketBatch>> {
        self.inner.shared.feed.subscribe()
    }

    /// Stops taking requests and waits for every matcher to finish what it holds.
    pub async fn shutdown(&self) {
        self.inner
            .matchers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let tasks: Vec<_> =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a matcher stopped abnormally");
            }
        }
    }
}
