//! Rust SDK for trading bots on the Foresight CLOB gateway: credentials, orders signed with the server's own math, and the REST API.
//!
//! ```no_run
//! # async fn run() -> Result<(), client::ClientError> {
//! use client::{Client, Credentials, OrderBuilder, OrderSpec, PrivateKey};
//! use types::{ChainId, ConditionId, OrderType, Outcome, Side};
//!
//! let key = PrivateKey::from_hex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")?;
//! let api = Client::new("http://127.0.0.1:8080", Credentials::api_key("fs_key_...", "fs_secret_..."))?;
//! let condition_id: ConditionId = "0x1111111111111111111111111111111111111111111111111111111111111111"
//!     .parse()
//!     .map_err(|_| client::ClientError::invalid("condition_id", "not 0x + 64 hex"))?;
//! let market = api.market(condition_id, ChainId(56)).await?.info();
//! let spec = OrderSpec::limit(Outcome::Yes, Side::Buy, "0.55".parse().unwrap(), "10".parse().unwrap());
//! let order = OrderBuilder::new(&key, &market).build(&spec)?;
//! let placed = api.place_orders(&[order], Some("my-bot-batch-1")).await?;
//! # let _ = (placed, OrderType::Limit);
//! # Ok(()) }
//! ```

mod credentials;
mod error;
pub mod http;
pub mod market;
pub mod order;

pub use credentials::{ApiKey, Credentials, PrivateKey};
pub use error::{ClientError, ConnectionFailure};
pub use http::{Client, MarketsQuery, OrdersQuery, StatusFilter};
pub use market::{Market, MarketInfo, TokenInfo};
pub use order::{OrderBuilder, OrderSpec, SignedOrder};
/// The JSON answers of the order routes and the error envelope: the gateway's own types.
pub use types::responses::{
    self, AcceptedView, CancelResponse, ErrorEnvelope, InlineError, OnchainCancelView, OrderResult,
    OrderView, Page, PlaceOrdersResponse, PlaceResponse,
};
