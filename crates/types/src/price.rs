//! Prices as a book sees them: hundredths from 0 to 100, in YES terms.
//!
//! An order's own price is [`Ticks`] (0.01..=1.00). A market's book holds every order in YES
//! terms, so a NO order sits at `1 - q`: BUY NO at 1.00 is an ask at 0.00, and a trade against
//! it executes at 0.00 for the YES side. That is why this type, unlike `Ticks`, has 0.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::amounts::Ticks;
use crate::market::Outcome;

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

/// A decimal string, as every price on the wire.
impl Serialize for Price {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_as_two_decimals_from_zero_to_one() {
        assert_eq!(Price::ZERO.to_string(), "0.00");
        assert_eq!(
            Price::new(5).map(|p| p.to_string()).as_deref(),
            Some("0.05")
        );
        assert_eq!(Price::ONE.to_string(), "1.00");
        assert_eq!(Price::new(101), None);
        assert_eq!(
            Price::new(30).map(|p| p.in_terms_of(Outcome::No)),
            Price::new(70)
        );
    }
}
