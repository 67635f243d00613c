//! The pure matching core: one book per market, in YES terms, and the rules that match orders
//! on it (docs/engine.md, "Matching core").
//!
//! A [`Market`] takes a [`Command`] and appends [`Event`]s: fills with their exact amounts and
//! fees, orders' new sizes and statuses, where a remainder rested, and the levels that changed.
//! It does no I/O, reads no clock and never waits; the matcher builds the ledger moves, the
//! stored rows and the published events from what it returns, and applies a command only once
//! the previous one's outcome is settled.
//!
//! Semantics:
//! - BUY YES at p is a bid at p, SELL YES at p an ask at p; BUY NO at q an ask at `1 - q`, SELL
//!   NO at q a bid at `1 - q`. A bid and an ask cross when the bid is at or above the ask.
//!   Which two orders crossed decides the kind: BUY with SELL of one outcome is
//!   [`MatchKind::Plain`], BUY YES with BUY NO ([`MatchKind::Mint`], `p + q >= 1`), SELL YES
//!   with SELL NO ([`MatchKind::Merge`], `p + q <= 1`).
//! - Price-time priority: the best level first, the oldest order at a level first; the trade
//!   executes at the resting order's price, and each side pays or receives at that price in its
//!   own outcome's terms (the two add up to 1 in a mint or a merge).
//! - A resting order of the incoming order's wallet that would trade with it is cancelled
//!   ([`CancelReason::SelfTrade`]) and matching goes on.
//! - A `LIMIT` or `GTD` remainder rests (`OPEN` or `PARTIALLY_FILLED`); a `MARKET` remainder
//!   is cancelled ([`CancelReason::MarketRemainder`]), even when part of it filled. A filled
//!   order is `MATCHED`: settlement is not the core's.
//! - Amounts are exact integers; the rounding rule is in [`amounts`]. Each side of a fill pays
//!   its fee from its own order's signed terms, in what it receives ([`fees`]).
//! - Cancels take resting orders off, oldest first: one by hash, a wallet's (optionally of one
//!   outcome or side), or every order of a closed or resolved market
//!   ([`CancelReason::MarketClosed`]). Market status itself is the matcher's: it sends no
//!   placement to a `PAUSED` market.
//! - [`Market::restore`] rebuilds a book from its saved resting orders in their priority.
//!
//! Invariants, checked by the property tests against a reference matcher: the book is never
//! crossed between commands; no order fills beyond its size; a BUY never pays more than its
//! reservation and a SELL never receives less than its signed price; no fee exceeds what its
//! side receives; collateral and each outcome token are conserved, the fee wallet's fees and
//! rounding share included; a restored book behaves like the one it was saved from.

pub mod amounts;
pub mod book;
pub mod events;
pub mod fees;
pub mod matching;
pub mod order;
pub mod price;
pub mod restore;

#[cfg(test)]
mod tests;

pub use amounts::Scale;
pub use book::Book;
pub use events::{CancelReason, Event, Fill, Leg, MatchKind, OrderUpdate, Rounding};
pub use fees::FeeTerms;
pub use matching::{CoreError, Market};
pub use order::{Command, NewOrder};
pub use price::{yes_terms, BookSide, Price};
pub use restore::{RestoreError, SavedOrder};
