//! What the core is asked to do: place an order, cancel, expire.

use types::{OrderHash, OrderType, Outcome, Side, Size, Ticks, Wallet};

/// An accepted order, as the matcher hands it to its market's core. Validation (signature,
/// amounts, balance) happened at acceptance; the core checks only what it relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewOrder {
    pub hash: OrderHash,
    pub wallet: Wallet,
    pub outcome: Outcome,
    pub side: Side,
    /// In the order's own outcome terms; for a `MARKET` order, the worst price it accepts.
    pub price: Ticks,
    pub size: Size,
    pub order_type: OrderType,
}

/// One step of a market's sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Match the order against the book; a `LIMIT` or `GTD` remainder rests, a `MARKET`
    /// remainder is cancelled.
    Place(NewOrder),
    /// Take a resting order off the book: `CANCELLED`.
    Cancel(OrderHash),
    /// Take a resting `GTD` order off the book at its expiration: `EXPIRED`. The clock is the
    /// caller's: it sends this when the time has come.
    Expire(OrderHash),
    /// Cancel every resting order of a wallet, oldest first.
    CancelWallet(Wallet),
}
