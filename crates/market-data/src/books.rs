//! Book and ticker views per market, in YES terms.
//!
//! The matching engine publishes a new `BookState` for a market after each batch it applies;
//! readers take the latest snapshot without locking the engine. Until a market has traded or
//! received an order, its book is empty at `seq` 0.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use types::{MarketKey, Price, Size};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLevel {
    pub price: Price,
    pub size: Size,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookState {
    /// The `seq` of the last delta batch applied to this book.
    pub seq: u64,
    /// Highest price first.
    pub bids: Vec<BookLevel>,
    /// Lowest price first.
    pub asks: Vec<BookLevel>,
    pub last_price: Option<Price>,
}

/// The figures a ticker shows, derived from a book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticker {
    pub best_bid: Option<Price>,
    pub best_ask: Option<Price>,
    pub last_price: Option<Price>,
    /// `best_ask - best_bid` in ticks.
    pub spread: Option<u8>,
    /// The YES display price in thousandths (a midpoint can fall on half a tick).
    pub display_yes_thousandths: Option<u16>,
}

/// Above this spread the midpoint says little, so the display price falls back to the last
/// trade (the rule Polymarket's web app uses).
const MAX_SPREAD_FOR_MIDPOINT: u8 = 10;

impl BookState {
    pub fn ticker(&self) -> Ticker {
        let best_bid = self.bids.first().map(|l| l.price);
        let best_ask = self.asks.first().map(|l| l.price);
        let spread = match (best_bid, best_ask) {
            (Some(b), Some(a)) => Some(a.get().saturating_sub(b.get())),
            _ => None,
        };
        let midpoint = match (best_bid, best_ask, spread) {
            (Some(b), Some(a), Some(s)) if s <= MAX_SPREAD_FOR_MIDPOINT => {
                Some((u16::from(b.get()) + u16::from(a.get())) * 5)
            }
            _ => None,
        };
        Ticker {
            best_bid,
            best_ask,
            last_price: self.last_price,
            spread,
            display_yes_thousandths: midpoint.or(self.last_price.map(|p| u16::from(p.get()) * 10)),
        }
    }
}

/// Formats thousandths of a unit: 455 → "0.455", 460 → "0.46".
pub fn thousandths_to_decimal(t: u16) -> String {
    if t.is_multiple_of(10) {
        format!("{}.{:02}", t / 1000, (t % 1000) / 10)
    } else {
        format!("{}.{:03}", t / 1000, t % 1000)
    }
}

/// The latest book of every market.
#[derive(Default)]
pub struct BookViews {
    books: RwLock<HashMap<MarketKey, Arc<BookState>>>,
}

impl BookViews {
    pub fn new() -> BookViews {
        BookViews::default()
    }

    /// The latest snapshot; an empty book for a market nothing was published for.
    pub fn get(&self, key: &MarketKey) -> Arc<BookState> {
        let books = self.books.read().unwrap_or_else(|e| e.into_inner());
        books.get(key).cloned().unwrap_or_default()
    }

    /// Replaces a market's snapshot. Only the market's single writer (the engine) calls this.
    pub fn publish(&self, key: MarketKey, state: BookState) {
        let mut books = self.books.write().unwrap_or_else(|e| e.into_inner());
        books.insert(key, Arc::new(state));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(p: u8, s: u64) -> BookLevel {
        BookLevel {
            price: Price::new(p).unwrap(),
            size: Size::from_hundredths(s),
        }
    }

    #[test]
    fn an_empty_book_has_no_ticker_figures() {
        let t = BookState::default().ticker();
        assert_eq!(
            (t.best_bid, t.best_ask, t.spread, t.display_yes_thousandths),
            (None, None, None, None)
        );
    }

    #[test]
    fn display_price_is_the_midpoint_of_a_tight_book() {
        let book = BookState {
            bids: vec![level(45, 100)],
            asks: vec![level(46, 100)],
            ..Default::default()
        };
        let t = book.ticker();
        assert_eq!(t.spread, Some(1));
        assert_eq!(
            t.display_yes_thousandths
                .map(thousandths_to_decimal)
                .as_deref(),
            Some("0.455")
        );
    }

    #[test]
    fn display_price_falls_back_to_the_last_trade_on_a_wide_book() {
        let book = BookState {
            bids: vec![level(20, 100)],
            asks: vec![level(80, 100)],
            last_price: Some(Price::new(61).unwrap()),
            ..Default::default()
        };
        assert_eq!(
            book.ticker()
                .display_yes_thousandths
                .map(thousandths_to_decimal)
                .as_deref(),
            Some("0.61")
        );
        assert_eq!(thousandths_to_decimal(1000), "1.00");
    }
}
