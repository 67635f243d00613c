//! The JSON the order routes answer with (docs/api.md 6), built from stored orders.
//!
//! The shapes are `types::responses`', which the bot client reads: this module adds only the
//! conversions from the store's [`OrderRecord`] and the gateway's own refusal type.

use std::ops::Deref;

use serde::Serialize;
use store::orders::OrderRecord;
use types::responses;

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
