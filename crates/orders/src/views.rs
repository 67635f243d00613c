//! The JSON the order routes answer with (docs/api.md 6), built from stored orders and fills.
//!
//! The order shapes are `types::responses`', which the bot client reads: this module adds only
//! the conversions from the store's [`OrderRecord`] and the gateway's own refusal type. The
//! fill and position shapes, which no client reads yet, are defined here.

use std::ops::Deref;

use serde::Serialize;
use store::fills::FillRecord;
use store::orders::OrderRecord;
use types::{
    responses, ChainId, ConditionId, OrderHash, Outcome, Price, Side, Size, Timestamp, TokenId, Wei,
};

pub use types::responses::{CancelResponse, OnchainCancelView, Page};

use crate::error::InlineError;

/// An order as `GET /v1/orders` and `GET /v1/orders/{order_hash}` show it:
/// [`responses::OrderView`], wrapped only so that its conversion from a stored order can be
/// written here (neither type is this crate's). It serializes as the inner view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OrderView(pub responses::OrderView);

impl Deref for OrderView {
    type Target = responses::OrderView;
    fn deref(&self) -> &responses::OrderView {
        &self.0
    }
}

impl From<&OrderRecord> for OrderView {
    fn from(o: &OrderRecord) -> OrderView {
        OrderView(responses::OrderView {
            order_hash: o.order_hash,
            condition_id: o.condition_id,
            chain_id: o.chain_id,
            side: o.side,
            outcome: o.outcome,
            order_type: o.order_type,
            price: o.price,
            size: o.size,
            remaining_size: o.remaining,
            status: o.status,
            token_id: o.token_id,
            fee_rate_bps: o.fee_rate_bps,
            expiration: o.expiration.to_string(),
            book_added_at: o.book_added_at,
            created_at: o.created_at,
            updated_at: o.updated_at,
        })
    }
}

/// One accepted item of `POST /v1/orders`: [`responses::AcceptedView`], wrapped for the same
/// reason as [`OrderView`]; it serializes as the inner view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AcceptedView(pub responses::AcceptedView);

impl Deref for AcceptedView {
    type Target = responses::AcceptedView;
    fn deref(&self) -> &responses::AcceptedView {
        &self.0
    }
}

impl From<&OrderRecord> for AcceptedView {
    fn from(o: &OrderRecord) -> AcceptedView {
        AcceptedView(responses::AcceptedView {
            order_hash: o.order_hash,
            condition_id: o.condition_id,
            chain_id: o.chain_id,
            status: o.status,
            price: o.price,
            size: o.size,
            remaining_size: o.remaining,
            fills: Vec::new(),
            book_added_at: o.book_added_at,
            created_at: o.created_at,
        })
    }
}

/// One item's result in a batch: the accepted order, or `{"error": {"code", "message"}}` with
/// the code as the contract's enum.
pub type OrderResult = responses::OrderResult<AcceptedView, InlineError>;

/// The body of `POST /v1/orders` (200). A replay is the stored text of this, to which the
/// HTTP layer adds `"_idempotent_replayed": true`.
pub type PlaceResponse = responses::PlaceResponse<AcceptedView, InlineError>;

/// A page of `GET /v1/orders`.
pub type OrdersPage = Page<OrderView>;

/// One fill as `GET /v1/fills` shows it: one side of a trade, in its own order's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FillView {
    pub fill_id: String,
    pub order_hash: OrderHash,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub token_id: TokenId,
    pub outcome: Outcome,
    /// The order's own side.
    pub side: Side,
    /// The execution price in the order's outcome terms (the resting order's price, seen from
    /// this order's outcome).
    pub price: Price,
    pub size: Size,
    /// Raw base units of what this side receives: tokens for a BUY, collateral for a SELL.
    pub fee: Wei,
    /// `MAKER` or `TAKER`.
    pub role: &'static str,
    /// `MATCHED`, `CONFIRMED` or `FAILED`.
    pub status: &'static str,
    pub created_at: Timestamp,
}

impl From<&FillRecord> for FillView {
    fn from(f: &FillRecord) -> FillView {
        FillView {
            fill_id: f.fill_id.clone(),
            order_hash: f.order_hash,
            condition_id: f.market.condition_id,
            chain_id: f.market.chain_id,
            token_id: f.token_id,
            outcome: f.outcome,
            side: f.side,
            price: f.price,
            size: f.size,
            fee: f.fee,
            role: f.role.as_str(),
            status: f.status.as_str(),
            created_at: f.created_at,
        }
    }
}

/// A page of `GET /v1/fills`.
pub type FillsPage = Page<FillView>;

/// What a wallet holds of one outcome token and what it made on it (`GET /v1/positions`).
/// The figures are decimal text, rendered by `crate::positions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PositionView {
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub outcome: Outcome,
    pub token_id: TokenId,
    /// Shares held, reserved ones included, exact to the token's decimals.
    pub size: String,
    /// Collateral paid per share still held; `None` (null) when none is held.
    pub avg_price: Option<String>,
    /// Collateral, signed, exact to its 18 decimals.
    pub realized_pnl: String,
}

/// The wallet's collateral, in raw base units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CollateralView {
    pub available: Wei,
    pub reserved: Wei,
}

/// The body of `GET /v1/positions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PositionsView {
    pub data: Vec<PositionView>,
    pub collateral: CollateralView,
}
