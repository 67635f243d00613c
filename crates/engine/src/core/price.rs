//! Prices as the book sees them: hundredths from 0 to 100, in YES terms.
//!
//! An order's own price is [`Ticks`] (0.01..=1.00). The book holds every order of a market in
//! YES terms, so a NO order sits at `1 - q`: BUY NO at 1.00 becomes an ask at 0.00, and a fill
//! against it executes at 0.00 for the YES side. That is why this type, unlike `Ticks`, has 0.

use std::fmt;

use types::{Outcome, Side, Ticks};

/// A price in hundredths, `0..=100`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Price(u8);

impl Price {
    pub const ZERO: Price = Price(0);
    pub const ONE: Price = Price(100);

    pub fn new(hundredths: u8) -> Option<Price> {
        (hundredths <= 100).then_some(Price(hundredths))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The same price seen from the other outcome: `1 - p`.
    pub fn complement(self) -> Price {
        Price(100 - self.0)
    }

    /// This price in the terms of `outcome`, given in YES terms (and the reverse: the map is its
    /// own inverse).
    pub fn in_terms_of(self, outcome: Outcome) -> Price {
        match outcome {
            Outcome::Yes => self,
            Outcome::No => self.complement(),
        }
    }
}

impl From<Ticks> for Price {
    fn from(t: Ticks) -> Price {
        Price(t.get())
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

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

    fn t(v: u8) -> Ticks {
        Ticks::new(v).unwrap()
    }

    #[test]
    fn no_orders_sit_at_the_complement_on_the_opposite_side() {
        use Outcome::{No, Yes};
        use Side::{Buy, Sell};
        assert_eq!(yes_terms(Buy, Yes, t(55)), (BookSide::Bid, Price(55)));
        assert_eq!(yes_terms(Sell, Yes, t(55)), (BookSide::Ask, Price(55)));
        assert_eq!(yes_terms(Buy, No, t(40)), (BookSide::Ask, Price(60)));
        assert_eq!(yes_terms(Sell, No, t(40)), (BookSide::Bid, Price(60)));
        assert_eq!(yes_terms(Buy, No, t(100)), (BookSide::Ask, Price::ZERO));
    }

    #[test]
    fn a_bid_crosses_asks_at_or_below_it_and_an_ask_bids_at_or_above() {
        assert!(BookSide::Bid.crosses(Price(50), Price(50)));
        assert!(BookSide::Bid.crosses(Price(50), Price(49)));
        assert!(!BookSide::Bid.crosses(Price(50), Price(51)));
        assert!(BookSide::Ask.crosses(Price(50), Price(50)));
        assert!(BookSide::Ask.crosses(Price(50), Price(51)));
        assert!(!BookSide::Ask.crosses(Price(50), Price(49)));
    }
}
