//! The order routes' domain functions: one call per route, no HTTP.
//!
//! A handler parses and authenticates, calls one method of [`OrderService`] with the wallet,
//! and renders the result (a view of `views.rs`) or maps the [`ServiceError`] through its
//! `From` for `ApiError`.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{hex, keccak256};
use engine::{CancelTarget, Engine};
use store::cancels::CancelSelection;
use store::orders::{OrderCursor, OrderFilter, OrderRecord};
use store::Store;
use types::{Cursor, MarketKey, OrderHash, Timestamp, Wallet};

use crate::accept::{AcceptanceHandle, Submission};
use crate::cancels::{cancel_in, cancel_selected, is_filled};
use crate::error::ServiceError;
use crate::fills::{fills_page, FillsQuery};
use crate::idempotency::{IdempotencyClaim, IdempotencyKeys, DEFAULT_KEYS_PER_WALLET};
use crate::onchain::cancel_order_calldata;
use crate::positions::positions_view;
use crate::request::StatusGroup;
use crate::validate::{validate_batch, Intake, ItemSource, MarketLookup};
use crate::views::{
    CancelResponse, FillsPage, OnchainCancelView, OrderView, OrdersPage, PlaceResponse,
    PositionsView,
};
use signing::eip712::DomainCache;

/// The parsed query of `GET /v1/orders`.
#[derive(Clone, Debug, Default)]
pub struct OrdersQuery {
    pub market: Option<MarketKey>,
    pub status: StatusGroup,
    /// As the client sent it (opaque).
    pub cursor: Option<String>,
    /// 1..=100 (`types::cursor::parse_limit`, default 20).
    pub limit: u32,
}

/// The idempotency key of a `POST /v1/orders` and the hash of the body it came with.
#[derive(Clone, Copy, Debug)]
pub struct IdempotencyKey<'a> {
    pub key: &'a str,
    /// [`request_hash`] of the raw body.
    pub request_hash: &'a str,
}

/// What identifies a request body for idempotency: keccak-256 of its bytes, in hex.
pub fn request_hash(body: &[u8]) -> String {
    hex::encode(keccak256(body))
}

/// The answer to `POST /v1/orders`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placed {
    /// Processed now.
    Fresh(PlaceResponse),
    /// The stored response to the same key and body: send it with `_idempotent_replayed`.
    Replayed(String),
}

/// Everything the order routes need, shared by all workers.
#[derive(Clone)]
pub struct OrderService {
    store: Store,
    markets: Arc<dyn MarketLookup + Send + Sync>,
    domains: Arc<DomainCache>,
    writer: AcceptanceHandle,
    engine: Engine,
    in_flight_wait: Duration,
    keys: Arc<IdempotencyKeys>,
}

/// How long a request waits for the first request with its idempotency key (same body) to be
/// answered before it is refused as still in flight. A client that retries after a timeout
/// then gets the first request's answer instead of a 409; an acceptance normally takes
/// milliseconds, so only a stalled store runs out this wait.
pub const IDEMPOTENCY_IN_FLIGHT_WAIT: Duration = Duration::from_secs(2);

/// The first pause between looks at a key still in flight, doubled up to [`IN_FLIGHT_POLL_MAX`].
const IN_FLIGHT_POLL_FIRST: Duration = Duration::from_millis(2);
const IN_FLIGHT_POLL_MAX: Duration = Duration::from_millis(100);

impl OrderService {
    pub fn new(
        store: Store,
        markets: Arc<dyn MarketLookup + Send + Sync>,
        writer: AcceptanceHandle,
        engine: Engine,
    ) -> OrderService {
        OrderService {
            engine,
            keys: Arc::new(IdempotencyKeys::new(store.clone(), DEFAULT_KEYS_PER_WALLET)),
            store,
            markets,
            domains: Arc::new(DomainCache::new()),
            writer,
            in_flight_wait: IDEMPOTENCY_IN_FLIGHT_WAIT,
        }
    }

    /// The same service, keeping at most `max` idempotency keys per wallet (default
    /// [`DEFAULT_KEYS_PER_WALLET`]).
    pub fn with_keys_per_wallet(mut self, max: u32) -> OrderService {
        self.keys = Arc::new(IdempotencyKeys::new(self.store.clone(), max));
        self
    }

    /// The idempotency keys, for their sweeper.
    pub fn idempotency_keys(&self) -> Arc<IdempotencyKeys> {
        self.keys.clone()
    }

    /// The same service, waiting at most `wait` for a request in flight with the same
    /// idempotency key (default [`IDEMPOTENCY_IN_FLIGHT_WAIT`]).
    pub fn with_in_flight_wait(mut self, wait: Duration) -> OrderService {
        self.in_flight_wait = wait;
        self
    }

    /// The acceptance writers' handle (their figures for `/metrics`).
    pub fn acceptance(&self) -> AcceptanceHandle {
        self.writer.clone()
    }

    /// `POST /v1/orders` for `wallet`: `items` is the `orders` array (1..=15 items, checked by
    /// the handler). Signatures are verified here, on the calling worker; only steps 10–11
    /// and the insert go through the acceptance writer.
    pub async fn place_orders<I: ItemSource>(
        &self,
        wallet: Wallet,
        items: &[I],
        idempotency: Option<IdempotencyKey<'_>>,
        now: Timestamp,
    ) -> Result<Placed, ServiceError> {
        if let Some(k) = idempotency {
            if let Some(replayed) = self.claim(wallet, k, now).await? {
                return Ok(Placed::Replayed(replayed));
            }
        }
        let intake = Intake {
            markets: &*self.markets,
            domains: &self.domains,
            wallet,
            now,
        };
        let announced = self.writer.announce(wallet);
        let results = validate_batch(items, &intake);
        let submission = Submission {
            wallet,
            results,
            idempotency_key: idempotency.map(|k| k.key.to_owned()),
            now,
        };
        match self.writer.submit(submission, announced).await {
            Ok(results) => Ok(Placed::Fresh(PlaceResponse { results })),
            Err(e) => {
                if let Some(k) = idempotency {
                    // Nothing was stored: a retry with this key must be processed afresh.
                    if let Err(release) = self.keys.release(wallet, k.key).await {
                        tracing::warn!(error = ?release, "idempotency key not released");
                    }
                }
                Err(e.into())
            }
        }
    }

    /// Claims the key for this request (`None`: process it) or returns the stored response to
    /// replay. While another request with the key and the same body is being answered, it
    /// looks again with growing pauses for up to `in_flight_wait`: that request either stores
    /// its response (replayed here, so both requests answer alike and execute once) or fails
    /// and releases the key (claimed here, and this request is processed afresh).
    async fn claim(
        &self,
        wallet: Wallet,
        k: IdempotencyKey<'_>,
        now: Timestamp,
    ) -> Result<Option<String>, ServiceError> {
        let started = tokio::time::Instant::now();
        let mut pause = IN_FLIGHT_POLL_FIRST;
        loop {
            match self.keys.claim(wallet, k.key, k.request_hash, now).await? {
                IdempotencyClaim::Claimed => return Ok(None),
                IdempotencyClaim::Replay(response) => return Ok(Some(response)),
                IdempotencyClaim::Conflict => return Err(ServiceError::IdempotencyConflict),
                IdempotencyClaim::InFlight => {
                    let left = self.in_flight_wait.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(ServiceError::IdempotencyInFlight);
                    }
                    tokio::time::sleep(pause.min(left)).await;
                    pause = (pause * 2).min(IN_FLIGHT_POLL_MAX);
                }
            }
        }
    }

    /// `POST /v1/orders/cancel`: cancels the selected live orders of `wallet` (by hashes, at
    /// most 100, checked by the handler; or by filter; or all) and releases their reservations.
    pub async fn cancel_orders(
        &self,
        wallet: Wallet,
        selection: &CancelSelection,
    ) -> Result<CancelResponse, ServiceError> {
        let cancelled = cancel_selected(&self.engine, &self.store, wallet, selection).await?;
        Ok(CancelResponse {
            cancelled_count: cancelled.hashes.len(),
            order_hashes: cancelled.hashes,
            not_cancelled: cancelled
                .not_cancelled
                .into_iter()
                .map(|(hash, reason)| (hash, reason.code().to_owned()))
                .collect(),
        })
    }

    /// `POST /v1/orders/{order_hash}/cancel-onchain`: takes a live order off the book at once
    /// (CANCELLED, reservation released) and returns the `cancelOrder(Order)` transaction. An
    /// order already CANCELLED, EXPIRED or MATCH_FAILED gets its calldata too (its signature
    /// is still valid on chain); MATCHED or FILLED is `ORDER_ALREADY_FILLED`.
    pub async fn cancel_onchain(
        &self,
        wallet: Wallet,
        hash: &OrderHash,
    ) -> Result<OnchainCancelView, ServiceError> {
        let mut order = self
            .store
            .order_of(wallet, hash)
            .await?
            .ok_or(ServiceError::OrderNotFound)?;
        let key = market_of(&order);
        if order.status.is_live() {
            cancel_in(&self.engine, key, wallet, CancelTarget::Hashes(vec![*hash])).await?;
            // Filled meanwhile, or cancelled: the status the matcher committed decides.
            if let Some(now) = self.store.order_of(wallet, hash).await? {
                order = now;
            }
        }
        if is_filled(order.status) {
            return Err(ServiceError::OrderAlreadyFilled(order.status));
        }
        let market = self
            .markets
            .market(&key)
            .ok_or(ServiceError::MarketMissing(key))?;
        Ok(OnchainCancelView {
            order_hash: order.order_hash,
            chain_id: order.chain_id,
            to: market.ctf_exchange_address,
            data: format!("0x{}", hex::encode(cancel_order_calldata(&order))),
        })
    }

    /// `GET /v1/orders/{order_hash}`: the wallet's own order only; an unknown hash and another
    /// wallet's are answered alike, in the same time (`Store::order_of`).
    pub async fn order(&self, wallet: Wallet, hash: &OrderHash) -> Result<OrderView, ServiceError> {
        match self.store.order_of(wallet, hash).await? {
            Some(o) => Ok(OrderView::from(&o)),
            None => Err(ServiceError::OrderNotFound),
        }
    }

    /// `GET /v1/orders`: the wallet's orders in a status group, newest first.
    pub async fn list_orders(
        &self,
        wallet: Wallet,
        query: &OrdersQuery,
    ) -> Result<OrdersPage, ServiceError> {
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let limit = query.limit.clamp(1, 100);
        let filter = OrderFilter {
            market: query.market,
            statuses: query.status.statuses(),
        };
        let rows = self
            .store
            .orders_page(wallet, &filter, after.as_ref(), limit + 1)
            .await?;
        Ok(OrdersPage::of(rows, limit, encode_cursor, |r| {
            OrderView::from(r)
        }))
    }
}

impl OrderService {
    /// `GET /v1/fills`: the wallet's fills, of one market when asked, newest first.
    pub async fn fills(
        &self,
        wallet: Wallet,
        query: &FillsQuery,
    ) -> Result<FillsPage, ServiceError> {
        fills_page(&self.store, wallet, query).await
    }

    /// `GET /v1/positions`: the wallet's positions (of one market when asked) and its
    /// collateral.
    pub async fn positions(
        &self,
        wallet: Wallet,
        market: Option<MarketKey>,
    ) -> Result<PositionsView, ServiceError> {
        let holdings = self.store.holdings(wallet, market.as_ref()).await?;
        Ok(positions_view(&holdings, &*self.markets, market.as_ref()))
    }
}

fn market_of(o: &OrderRecord) -> MarketKey {
    MarketKey {
        condition_id: o.condition_id,
        chain_id: o.chain_id,
    }
}

fn encode_cursor(o: &OrderRecord) -> String {
    Cursor::new([o.created_at.0.to_string(), o.order_hash.to_string()]).encode()
}

fn decode_cursor(s: &str) -> Result<OrderCursor, ServiceError> {
    let cursor = Cursor::decode(s, 2).map_err(|_| ServiceError::InvalidCursor)?;
    match cursor.parts() {
        [created_at, hash] => Ok(OrderCursor {
            created_at: Timestamp(
                created_at
                    .parse()
                    .map_err(|_| ServiceError::InvalidCursor)?,
            ),
            order_hash: hash.parse().map_err(|_| ServiceError::InvalidCursor)?,
        }),
        _ => Err(ServiceError::InvalidCursor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let c = Cursor::new(["1700000000000".to_owned(), format!("0x{}", "ab".repeat(32))]);
        let decoded = decode_cursor(&c.encode()).unwrap();
        assert_eq!(decoded.created_at, Timestamp(1_700_000_000_000));
        assert!(matches!(
            decode_cursor("nope"),
            Err(ServiceError::InvalidCursor)
        ));
        let bad = Cursor::new(["x".to_owned(), "0x12".to_owned()]).encode();
        assert!(matches!(
            decode_cursor(&bad),
            Err(ServiceError::InvalidCursor)
        ));
    }
}
