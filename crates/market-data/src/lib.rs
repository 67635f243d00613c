//! Public market data (L0): the market catalog, book and ticker views, trades, and the operators' changes to markets and balances.
//!
//! Reads of a market never touch the database: the catalog keeps every market in memory,
//! pre-rendered, and follows the `markets` table (writes on this instance apply at once,
//! writes on other instances within the refresh interval).

pub mod admin;
pub mod books;
pub mod catalog;
mod error;
pub mod params;
mod service;
pub mod views;

pub use books::{BookLevel, BookState, BookViews};
pub use catalog::MarketCatalog;
pub use error::MarketDataError;
pub use service::MarketData;
