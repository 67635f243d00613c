//! What acceptance writes, and the paths that write it fast: a group of requests' accepted
//! orders, their balance changes and their idempotent responses, in one transaction.
//!
//! The domain (`orders`) decides which orders are accepted and what each reserves; this module
//! only carries out. Two ways:
//!
//! - through a [`crate::Tx`] and the storage functions of `balances`, `orders` and
//!   `idempotency`, which the domain's locking path composes (any backend, any group);
//! - [`optimistic`]: a group decided against the balances this process last committed, written
//!   in one round trip with a compare-and-set on each balance, by a connection of its own per
//!   dialect ([`sqlite_connection`], [`pg_statement`]).

use types::Wallet;

use crate::orders::{OrderColumns, OrderRecord};

pub mod optimistic;
pub(crate) mod pg_statement;
pub(crate) mod sqlite_connection;
/// One request's validated orders, with the idempotency key whose response is kept with them.
#[derive(Clone, Debug, Default)]
pub struct Submission {
    /// Records as [`OrderRecord`] with `reserved` set to what acceptance must reserve.
    orders: Vec<OrderRecord>,
    /// `orders` rendered for the insert, one for one.
    columns: Vec<OrderColumns>,
    idempotency: Option<IdempotencyTarget>,
}

impl Submission {
    /// Renders the orders' column values now, on the caller's thread (see [`OrderColumns`]).
    pub fn new(orders: Vec<OrderRecord>, idempotency: Option<IdempotencyTarget>) -> Submission {
        let columns = orders.iter().map(OrderColumns::from).collect();
        Submission {
            orders,
            columns,
            idempotency,
        }
    }

    pub fn orders(&self) -> &[OrderRecord] {
        &self.orders
    }

    pub fn idempotency(&self) -> Option<&IdempotencyTarget> {
        self.idempotency.as_ref()
    }

    pub fn columns(&self) -> &[OrderColumns] {
        &self.columns
    }
}

/// The (wallet, key) a request claimed (the order domain's `idempotency::claim_key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyTarget {
    pub wallet: Wallet,
    pub key: String,
}

/// An idempotent response to keep: the wallet, the key and the response.
pub(crate) type Response<'a> = (Wallet, &'a str, String);

/// The fields of a [`HintedBalance`].
pub(crate) const HINTED_BALANCE_FIELDS: usize = 6;

/// A balance change decided against the hints: wallet, asset, hinted available, hinted
/// reserved, new available, new reserved.
pub(crate) type HintedBalance = [String; HINTED_BALANCE_FIELDS];
