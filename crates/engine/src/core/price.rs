//! Prices as the book sees them: hundredths from 0 to 100, in YES terms.
//!
//! An order's own price is [`Ticks`] (0.01..=1.00). The book holds every order of a market in
//! YES terms, so a NO order sits at `1 - q`: BUY NO at 1.00 becomes an ask at 0.00, and a fill
//! against it executes at 0.00 for the YES side. That is why this type, unlike `Ticks`, has 0.

use types::{Outcome, Side, Ticks};

/// Prices from 0.00 to 1.00; shared with the views and the store, which show and keep them.
pub use types::Price;

/// The two sides of a YES-terms book.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BookSide {
    /// Wants YES exposure: BUY YES, or SELL NO.
    Bid,
    /// Wants to shed YES exposure: SELL YES, or BUY NO.
    Ask,
}

impl BookSide {
    pub fn opposite(self) -> BookSide {
        match self {
            BookSide::Bid => BookSide::Ask,
            BookSide::Ask => BookSide::Bid,
        }
    }

    /// Whether an order on this side with `limit` trades with a resting order of the other
    /// side at `resting`: a bid takes asks at or below its limit, an ask takes bids at or above.
    pub fn crosses(self, limit: Price, resting: Price) -> bool {
        match self {
            BookSide::Bid => resting <= limit,
            BookSide::Ask => resting >= limit,
        }
    }
}

/// Where an order sits in the YES-terms book: BUY YES at p is a bid at p, SELL YES at p an ask
/// at p, BUY NO at q an ask at `1 - q` (it mints with a bid at `p >= 1 - q`), SELL NO at q a bid
/// at `1 - q` (it merges with an ask at `p <= 1 - q`).
pub fn yes_terms(side: Side, outcome: Outcome, price: Ticks) -> (BookSide, Price) {
    let book_side = match (side, outcome) {
        (Side::Buy, Outcome::Yes) | (Side::Sell, Outcome::No) => BookSide::Bid,
        (Side::Sell, Outcome::Yes) | (Side::Buy, Outcome::No) => BookSide::Ask,
    };
    (book_side, Price::from(price).in_terms_of(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: u8) -> Price {
        Price::new(v).expect("a price from 0 to 100")
    }

    fn t(v: u8) -> Ticks {
        Ticks::new(v).unwrap()
    }

    #[test]
    fn no_orders_sit_at_the_complement_on_the_opposite_side() {
        use Outcome::{No, Yes};
        use Side::{Buy, Sell};
        assert_eq!(yes_terms(Buy, Yes, t(55)), (BookSide::Bid, p(55)));
        assert_eq!(yes_terms(Sell, Yes, t(55)), (BookSide::Ask, p(55)));
        assert_eq!(yes_terms(Buy, No, t(40)), (BookSide::Ask, p(60)));
        assert_eq!(yes_terms(Sell, No, t(40)), (BookSide::Bid, p(60)));
        assert_eq!(yes_terms(Buy, No, t(100)), (BookSide::Ask, Price::ZERO));
    }

    #[test]
    fn a_bid_crosses_asks_at_or_below_it_and_an_ask_bids_at_or_above() {
        assert!(BookSide::Bid.crosses(p(50), p(50)));
        assert!(BookSide::Bid.crosses(p(50), p(49)));
        assert!(!BookSide::Bid.crosses(p(50), p(51)));
        assert!(BookSide::Ask.crosses(p(50), p(50)));
        assert!(BookSide::Ask.crosses(p(50), p(51)));
        assert!(!BookSide::Ask.crosses(p(50), p(49)));
    }
}
