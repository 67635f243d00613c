//! What the core is asked to do: place an order, cancel, expire, close the book.

use types::{OrderHash, OrderType, Outcome, Side, Size, Ticks, Wallet, Wei};

use super::amounts::Scale;
use super::fees::FeeTerms;

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
    /// The signed `maker_amount` and `taker_amount`, which acceptance checked are those of
    /// `price` and `size` ([`Scale::signed_amounts`]), and the signed `fee_rate_bps`: each
    /// fill's fee is computed from them ([`FeeTerms`]).
    pub maker_amount: Wei,
    pub taker_amount: Wei,
    pub fee_rate_bps: u32,
}

impl NewOrder {
    /// What this order's fee on a fill is computed from.
    pub fn fee_terms(&self) -> FeeTerms {
        FeeTerms {
            side: self.side,
            maker_amount: self.maker_amount,
            taker_amount: self.taker_amount,
            fee_rate_bps: self.fee_rate_bps,
        }
    }

    /// Whether its signed amounts are those of its price and size and its rate at most
    /// [`FeeTerms::MAX_RATE_BPS`]: what makes every fee computable and never more than what
    /// the side receives (`fees` module docs).
    pub fn terms_hold(&self, scale: Scale) -> bool {
        self.fee_rate_bps <= FeeTerms::MAX_RATE_BPS
            && (self.maker_amount, self.taker_amount)
                == scale.signed_amounts(self.side, self.price, self.size)
    }
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
    /// Cancel every resting order of a wallet, oldest first; with `outcome` or `side`, only
    /// those placed with that outcome or side (the order's own, not its side of the YES-terms
    /// book).
    CancelWallet {
        wallet: Wallet,
        outcome: Option<Outcome>,
        side: Option<Side>,
    },
    /// Cancel every resting order of the market, oldest first (`CancelReason::MarketClosed`):
    /// the market is `CLOSED` or `RESOLVED`.
    CancelAll,
}
