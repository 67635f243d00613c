//! What a command did, in the order it happened: the facts the matcher turns into ledger moves,
//! stored rows and published events.

use types::{OrderHash, OrderStatus, Outcome, Side, Size, Wallet, Wei};

use super::price::{BookSide, Price};

// Fills are most of what a matching command reports and the caller reuses one `Vec` for every
// command: a `Box` would allocate per fill to shrink the other events, which are fewer.
#[expect(
    clippy::large_enum_variant,
    reason = "a fill inline costs less than an allocation per fill"
)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A trade between the incoming order and one resting order.
    Fill(Fill),
    /// An order's size and status after a fill, a cancel, or at the end of its placement.
    Order(OrderUpdate),
    /// The incoming order's remainder went on the book, behind `priority` (increasing within a
    /// market; a rebuilt book must keep this order).
    Rested {
        order: OrderHash,
        side: BookSide,
        price: Price,
        priority: u64,
    },
    /// A level's total after the command, in YES terms; zero means the level is gone. At most
    /// one per level per command, after every other event of the command.
    Level {
        side: BookSide,
        price: Price,
        size: Size,
    },
}

/// The three ways a bid and an ask of a YES-terms book trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// A buyer and a seller of the same outcome: tokens for collateral.
    Plain,
    /// BUY YES with BUY NO at `p + q >= 1`: their collateral mints the pairs, each gets its
    /// outcome.
    Mint,
    /// SELL YES with SELL NO at `p + q <= 1`: their tokens merge back into collateral, shared
    /// between them.
    Merge,
}

impl MatchKind {
    pub fn of(a: Side, b: Side) -> MatchKind {
        match (a, b) {
            (Side::Buy, Side::Buy) => MatchKind::Mint,
            (Side::Sell, Side::Sell) => MatchKind::Merge,
            _ => MatchKind::Plain,
        }
    }
}

/// One side of a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    pub order: OrderHash,
    pub wallet: Wallet,
    pub side: Side,
    pub outcome: Outcome,
    /// The execution price in this order's own outcome terms (the resting order's price).
    pub price: Price,
    /// Collateral this side pays (BUY) or receives (SELL), in base units, before its fee.
    pub collateral: Wei,
    /// This side's fee for the fee wallet, from its own order's terms ([`FeeTerms`]), in what
    /// it receives: a BUY gets `tokens - fee` outcome tokens, a SELL `collateral - fee`
    /// collateral. Never more than that (`fees` module docs).
    ///
    /// [`FeeTerms`]: super::fees::FeeTerms
    pub fee: Wei,
}

/// A trade of `size` between a resting order (the maker) and the incoming one (the taker).
/// Each side moves `tokens` of its own outcome: a BUY receives them (less its fee), a SELL
/// gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub maker: Leg,
    pub taker: Leg,
    pub kind: MatchKind,
    pub size: Size,
    /// `size` in base units of the outcome token.
    pub tokens: Wei,
}

/// The fee wallet's share of a fill's rounding (`amounts` module docs): at most one base unit
/// of collateral either way, zero from 4 decimals up. It comes on top of the legs' fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Exact,
    ToFeeWallet(Wei),
    FromFeeWallet(Wei),
}

impl Fill {
    /// What is left of the collateral once each side has its own rounded amount: a plain
    /// buyer's payment less the seller's receipt; a mint's payments less the `tokens` of
    /// collateral the pairs lock; the `tokens` a merge frees less the sellers' receipts.
    pub fn rounding(&self) -> Rounding {
        let (coming_in, going_out) = match self.kind {
            MatchKind::Plain => {
                let (buyer, seller) = if self.maker.side == Side::Buy {
                    (self.maker, self.taker)
                } else {
                    (self.taker, self.maker)
                };
                (buyer.collateral.0, seller.collateral.0)
            }
            MatchKind::Mint => (
                self.maker.collateral.0 + self.taker.collateral.0,
                self.tokens.0,
            ),
            MatchKind::Merge => (
                self.tokens.0,
                self.maker.collateral.0 + self.taker.collateral.0,
            ),
        };
        match coming_in.cmp(&going_out) {
            std::cmp::Ordering::Equal => Rounding::Exact,
            std::cmp::Ordering::Greater => Rounding::ToFeeWallet(Wei(coming_in - going_out)),
            std::cmp::Ordering::Less => Rounding::FromFeeWallet(Wei(going_out - coming_in)),
        }
    }
}

/// Why an order left the book without filling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Its owner (or an operator) cancelled it.
    Requested,
    /// An order of the same wallet would have traded with it: the resting one goes.
    SelfTrade,
    /// What a `MARKET` order could not fill at once.
    MarketRemainder,
    /// A `GTD` order's expiration came.
    Expired,
    /// The market was closed or resolved: every resting order goes.
    MarketClosed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderUpdate {
    pub order: OrderHash,
    pub wallet: Wallet,
    pub filled: Size,
    pub remaining: Size,
    /// `OPEN` or `PARTIALLY_FILLED` on the book, `MATCHED` when filled (settlement is the
    /// matcher's), `CANCELLED` or `EXPIRED` when it left the book unfilled.
    pub status: OrderStatus,
    pub reason: Option<CancelReason>,
}
