//! The REST client: one method per route a trading bot uses, errors parsed from the
//! contract's envelope.
//!
//! TLS: reqwest is built with `rustls-tls`, so a bot reaches an `https://` gateway with no
//! OpenSSL on the host and the Mozilla root certificates compiled in (`webpki-roots`). The cost
//! is paid at build time, on a cold build only: rustls' crypto provider `ring` compiles C and
//! assembly through `cc` (a C compiler must be present), and rustls, rustls-webpki,
//! tokio-rustls, hyper-rustls and webpki-roots are five more crates to compile. `native-tls`
//! would link the host's OpenSSL instead: less to compile, but a binary tied to the host's
//! libraries and their versions, which a bot shipped as one static file should not be.

use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use types::responses::{CancelResponse, OnchainCancelView, OrderView, Page, PlaceOrdersResponse};
use types::{ChainId, ConditionId, MarketStatus, OrderHash};

use crate::credentials::Credentials;
use crate::error::ClientError;
use crate::market::Market;
use crate::order::SignedOrder;

pub const HEADER_API_KEY: &str = "fs-api-key";
pub const HEADER_API_SECRET: &str = "fs-api-secret";
pub const HEADER_IDEMPOTENCY_KEY: &str = "fs-idempotency-key";
pub const HEADER_CORRELATION_ID: &str = "x-correlation-id";

/// How long one request may take, connection included, before it fails as
/// `ClientError::Unreachable` with `ConnectionFailure::TimedOut` (`Client::with_timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Filters of `GET /v1/markets`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MarketsQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<MarketStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// 1..=100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The `status` filter of `GET /v1/orders` (the gateway's default is `open`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// `OPEN` and `PARTIALLY_FILLED`.
    Open,
    /// `MATCHED` and `FILLED`.
    Filled,
    /// `CANCELLED`, `EXPIRED` and `MATCH_FAILED`.
    Cancelled,
    All,
}

/// Filters of `GET /v1/orders`; a market filter needs both `condition_id` and `chain_id`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OrdersQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_id: Option<ConditionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<ChainId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFilter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// 1..=100, default 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// An async client of one gateway. Cheap to clone: clones share the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
    timeout: Duration,
}

impl Client {
    /// A client of the gateway at `base_url` (`https://...` or `http://...`, no `/v1`).
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Client, ClientError> {
        let base = base_url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::invalid(
                "base url",
                "must start with http:// or https://",
            ));
        }
        Ok(Client {
            http: http_client(DEFAULT_TIMEOUT)?,
            base: base.to_owned(),
            credentials,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same client with another limit on each request, connection included (default
    /// `DEFAULT_TIMEOUT`); it must be positive.
    pub fn with_timeout(self, timeout: Duration) -> Result<Client, ClientError> {
        if timeout.is_zero() {
            return Err(ClientError::invalid("timeout", "must be positive"));
        }
        Ok(Client {
            http: http_client(timeout)?,
            timeout,
            ..self
        })
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// `GET /v1/markets` (L0).
    pub async fn markets(&self, query: &MarketsQuery) -> Result<Page<Market>, ClientError> {
        self.send(self.request(Method::GET, "/v1/markets").query(query))
            .await
    }

    /// `GET /v1/markets/{condition_id}?chain_id=` (L0).
    pub async fn market(
        &self,
        condition_id: ConditionId,
        chain_id: ChainId,
    ) -> Result<Market, ClientError> {
        let path = format!("/v1/markets/{condition_id}");
        self.send(
            self.request(Method::GET, &path)
                .query(&[("chain_id", chain_id.0)]),
        )
        .await
    }

    /// `POST /v1/orders`: 1..=15 signed orders. With an idempotency key, a retry of the same
    /// batch replays the first answer instead of placing the orders twice.
    pub async fn place_orders(
        &self,
        orders: &[SignedOrder],
        idempotency_key: Option<&str>,
    ) -> Result<PlaceOrdersResponse, ClientError> {
        let mut req = self
            .authed(Method::POST, "/v1/orders")?
            .json(&json!({ "orders": orders }));
        if let Some(key) = idempotency_key {
            let value = HeaderValue::from_str(key).map_err(|_| {
                ClientError::invalid(
                    "idempotency key",
                    "must be visible ASCII (it is sent as an HTTP header)",
                )
            })?;
            req = req.header(HEADER_IDEMPOTENCY_KEY, value);
        }
        self.send(req).await
    }

    /// `GET /v1/orders`: the caller's orders, newest first.
    pub async fn list_orders(&self, query: &OrdersQuery) -> Result<Page<OrderView>, ClientError> {
        self.send(self.authed(Method::GET, "/v1/orders")?.query(query))
            .await
    }

    /// `GET /v1/orders/{order_hash}`.
    pub async fn get_order(&self, hash: OrderHash) -> Result<OrderView, ClientError> {
        self.send(self.authed(Method::GET, &format!("/v1/orders/{hash}"))?)
            .await
    }

    /// `POST /v1/orders/cancel` with up to 100 hashes; only orders actually cancelled are
    /// listed in the answer.
    pub async fn cancel_orders(&self, hashes: &[OrderHash]) -> Result<CancelResponse, ClientError> {
        self.cancel(json!({ "order_hashes": hashes })).await
    }

    /// `POST /v1/orders/cancel` with `{}`: every open order of the caller.
    pub async fn cancel_all(&self) -> Result<CancelResponse, ClientError> {
        self.cancel(json!({})).await
    }

    /// `POST /v1/orders/cancel` with a market filter: the caller's open orders on one market.
    pub async fn cancel_market(
        &self,
        condition_id: ConditionId,
        chain_id: ChainId,
    ) -> Result<CancelResponse, ClientError> {
        self.cancel(json!({ "condition_id": condition_id, "chain_id": chain_id }))
            .await
    }

    /// `POST /v1/orders/{order_hash}/cancel-onchain`: takes the order off the book and returns
    /// the `cancelOrder(Order)` transaction the wallet must submit to void the signature.
    pub async fn cancel_onchain(&self, hash: OrderHash) -> Result<OnchainCancelView, ClientError> {
        let path = format!("/v1/orders/{hash}/cancel-onchain");
        self.send(self.authed(Method::POST, &path)?).await
    }

    async fn cancel(&self, body: serde_json::Value) -> Result<CancelResponse, ClientError> {
        self.send(self.authed(Method::POST, "/v1/orders/cancel")?.json(&body))
            .await
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// A request carrying the caller's credentials (L2): the API key pair when there is one,
    /// else the JWT. Secret header values are marked sensitive, so reqwest never logs them.
    fn authed(&self, method: Method, path: &str) -> Result<RequestBuilder, ClientError> {
        let req = self.request(method, path);
        let sensitive = |field: &'static str, value: &str| {
            let mut v = HeaderValue::from_str(value).map_err(|_| {
                ClientError::invalid(field, "contains characters an HTTP header cannot carry")
            })?;
            v.set_sensitive(true);
            Ok::<_, ClientError>(v)
        };
        if let Some(key) = &self.credentials.api_key {
            Ok(req
                .header(HEADER_API_KEY, sensitive("api key", &key.key_id)?)
                .header(HEADER_API_SECRET, sensitive("api secret", key.secret())?))
        } else if let Some(jwt) = &self.credentials.jwt {
            Ok(req.header(
                AUTHORIZATION,
                sensitive("jwt", &format!("Bearer {}", jwt.expose()))?,
            ))
        } else {
            Err(ClientError::MissingCredentials)
        }
    }

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ClientError> {
        let transport = |e| ClientError::transport(e, &self.base, self.timeout);
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let correlation_id = header(HEADER_CORRELATION_ID);
        let retry_after = header(RETRY_AFTER.as_str()).and_then(|v| v.trim().parse().ok());
        let body = resp.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(ClientError::from_response(
                status.as_u16(),
                &body,
                correlation_id.as_deref(),
                retry_after,
            ));
        }
        serde_json::from_slice(&body).map_err(ClientError::Decode)
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, ClientError> {
    Ok(reqwest::Client::builder()
        .user_agent(concat!("fs-client/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .build()?)
}
