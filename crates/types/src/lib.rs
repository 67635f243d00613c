//! Shared domain types of the gateway: ids, addresses, prices as integer ticks, amounts as U256, error codes, the order routes' response bodies.

pub mod amounts;
pub mod balance;
pub mod cursor;
pub mod error;
pub mod ids;
pub mod json;
pub mod market;
pub mod order;
pub mod price;
pub mod responses;
pub mod secret;
pub mod text;
pub mod time;

pub use alloy_primitives::{Address, B256, I256, U256};
pub use amounts::{Size, Ticks, Wei};
pub use cursor::Cursor;
pub use error::{ContractError, ErrorCode, InvalidField};
pub use ids::{ChainId, ConditionId, ContractAddress, MarketKey, OrderHash, TokenId, Wallet};
pub use market::{MarketStatus, Outcome, Side};
pub use order::{OrderStatus, OrderType};
pub use price::Price;
pub use secret::Secret;
pub use time::Timestamp;
