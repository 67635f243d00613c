//! Rebuilding a market's book from its stored resting orders, so that it behaves exactly like
//! the book they were saved from.
//!
//! What a resting order needs to be saved is a [`SavedOrder`]: the order as placed, how much
//! of it filled, its exact notional (from which its rounding continues, `amounts` module docs)
//! and the priority the core gave it when it rested ([`Event::Rested`]). Its side and price in
//! the book follow from the order ([`yes_terms`]).
//!
//! Orders take their places in each level's FIFO by priority, whatever order they come in, and
//! the next order to rest gets a priority above every restored one. That can be lower than the
//! one the saved book would have given (when its newest resting orders have left it), which
//! changes no outcome: priorities only order the orders resting together.
//!
//! A saved order that could not have been on a book built by the core is refused with a
//! [`RestoreError`] and left out; the caller logs it. Everything else is restored.
//!
//! [`Event::Rested`]: super::Event::Rested

use types::{OrderHash, Side, Size};

use super::amounts::Scale;
use super::book::Resting;
use super::matching::Market;
use super::order::NewOrder;
use super::price::yes_terms;

/// A resting order as stored, enough to put it back on its book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavedOrder {
    pub order: NewOrder,
    pub filled: Size,
    /// The exact `hundredths * ticks` of its fills so far.
    pub notional: u128,
    pub priority: u64,
}

impl From<&Resting> for SavedOrder {
    fn from(r: &Resting) -> SavedOrder {
        SavedOrder {
            order: r.order,
            filled: r.filled,
            notional: r.notional,
            priority: r.priority,
        }
    }
}

/// Why a saved order was left out of the rebuilt book; the rest was restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("order {0} appears twice")]
    DuplicateOrder(OrderHash),
    #[error("order {0} has the priority {1} of an order restored before it")]
    DuplicatePriority(OrderHash, u64),
    #[error("order {0} has filled more than its size")]
    OverFilled(OrderHash),
    #[error("order {0} has nothing left to fill: it is not a resting order")]
    NothingRemaining(OrderHash),
    #[error(
        "order {0}'s signed amounts are not those of its price and size, or its fee rate is above 10000 bps"
    )]
    InvalidTerms(OrderHash),
    #[error("order {0}'s notional is not that of its fills within its limit price")]
    Notional(OrderHash),
    #[error("order {0} crosses an older order on the other side of the book")]
    Crosses(OrderHash),
}

impl Market {
    /// A market of `scale` whose book holds `orders`, each in its place by priority; with the
    /// orders refused, in priority order, each with why (module docs).
    pub fn restore(
        scale: Scale,
        orders: impl IntoIterator<Item = SavedOrder>,
    ) -> (Market, Vec<RestoreError>) {
        let mut orders: Vec<SavedOrder> = orders.into_iter().collect();
        orders.sort_by_key(|o| o.priority);
        let mut market = Market::new(scale);
        let mut refused = Vec::new();
        for saved in orders {
            if let Err(e) = market.put_back(saved) {
                refused.push(e);
            }
        }
        (market, refused)
    }

    /// Puts one saved order at the back of its level; orders come in increasing priority.
    fn put_back(&mut self, saved: SavedOrder) -> Result<(), RestoreError> {
        let SavedOrder {
            order,
            filled,
            notional,
            priority,
        } = saved;
        let book = self.book();
        if book.contains(&order.hash) {
            return Err(RestoreError::DuplicateOrder(order.hash));
        }
        if priority < book.next_priority() {
            return Err(RestoreError::DuplicatePriority(order.hash, priority));
        }
        if filled > order.size {
            return Err(RestoreError::OverFilled(order.hash));
        }
        if filled == order.size {
            return Err(RestoreError::NothingRemaining(order.hash));
        }
        if !order.terms_hold(self.scale()) {
            return Err(RestoreError::InvalidTerms(order.hash));
        }
        // Each fill was at the order's limit or better, in its own terms, and at most 1.00.
        let filled_at = |ticks: u8| u128::from(filled.hundredths()) * u128::from(ticks);
        let within = match order.side {
            Side::Buy => notional <= filled_at(order.price.get()),
            Side::Sell => (filled_at(order.price.get())..=filled_at(100)).contains(&notional),
        };
        if !within {
            return Err(RestoreError::Notional(order.hash));
        }
        // It would have traded with an older crossing order when it was placed.
        let (side, price) = yes_terms(order.side, order.outcome, order.price);
        if let Some(best) = book.best(side.opposite()) {
            if side.crosses(price, best) {
                return Err(RestoreError::Crosses(order.hash));
            }
        }
        self.book_mut()
            .push_at(order, filled, notional, side, price, priority);
        Ok(())
    }
}
