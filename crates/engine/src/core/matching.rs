//! The rules of docs/engine.md "Matching core", applied to one market's book.

use types::{OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Wallet};

use super::amounts::Scale;
use super::book::{Book, Resting, Slot};
use super::events::{CancelReason, Event, Fill, Leg, MatchKind, OrderUpdate};
use super::order::{Command, NewOrder};
use super::price::{yes_terms, BookSide, Price};

/// Why a command was refused; a refused command changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error("order {0} is already on the book")]
    DuplicateOrder(OrderHash),
    #[error("order {0} is not on the book")]
    NotOnBook(OrderHash),
    #[error("order {0} has a zero size")]
    ZeroSize(OrderHash),
    #[error(
        "order {0}'s signed amounts are not those of its price and size, or its fee rate is above 10000 bps"
    )]
    InvalidTerms(OrderHash),
}

/// One market: its book, the base units of its tokens, and the rules.
#[derive(Debug)]
pub struct Market {
    book: Book,
    scale: Scale,
    /// Levels changed by the command under way, one bit per price, to report each once.
    touched_bids: u128,
    touched_asks: u128,
}

/// The incoming order while it matches.
struct Taker {
    order: NewOrder,
    side: BookSide,
    limit: Price,
    filled: u64,
    notional: u128,
}

impl Taker {
    fn remaining(&self) -> u64 {
        self.order.size.hundredths() - self.filled
    }
}

impl Market {
    pub fn new(scale: Scale) -> Market {
        Market {
            book: Book::new(),
            scale,
            touched_bids: 0,
            touched_asks: 0,
        }
    }

    pub fn book(&self) -> &Book {
        &self.book
    }

    pub(super) fn book_mut(&mut self) -> &mut Book {
        &mut self.book
    }

    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// Carries out one command, appending what it did to `events`.
    pub fn apply(&mut self, command: Command, events: &mut Vec<Event>) -> Result<(), CoreError> {
        let result = match command {
            Command::Place(order) => self.place(order, events),
            Command::Cancel(hash) => self.cancel(hash, CancelReason::Requested, events),
            Command::Expire(hash) => self.cancel(hash, CancelReason::Expired, events),
            Command::CancelWallet {
                wallet,
                outcome,
                side,
            } => {
                self.cancel_wallet(wallet, outcome, side, events);
                Ok(())
            }
            Command::CancelAll => {
                self.cancel_all(events);
                Ok(())
            }
        };
        self.report_levels(events);
        result
    }

    fn place(&mut self, order: NewOrder, events: &mut Vec<Event>) -> Result<(), CoreError> {
        if self.book.contains(&order.hash) {
            return Err(CoreError::DuplicateOrder(order.hash));
        }
        if order.size == Size::ZERO {
            return Err(CoreError::ZeroSize(order.hash));
        }
        if !order.terms_hold(self.scale) {
            return Err(CoreError::InvalidTerms(order.hash));
        }
        let (side, limit) = yes_terms(order.side, order.outcome, order.price);
        let mut taker = Taker {
            order,
            side,
            limit,
            filled: 0,
            notional: 0,
        };
        // Price-time priority: the best opposite level while it crosses, oldest order first.
        while taker.remaining() > 0 {
            let Some(best) = self.book.best(side.opposite()) else {
                break;
            };
            if !side.crosses(limit, best) {
                break;
            }
            let Some(slot) = self.book.head(side.opposite(), best) else {
                break;
            };
            if self.book.at(slot).order.wallet == order.wallet {
                self.take_off(slot, CancelReason::SelfTrade, events);
                continue;
            }
            self.trade(&mut taker, slot, best, events);
        }
        self.finish(taker, events);
        Ok(())
    }

    /// Fills the taker against the resting order in `slot` at the resting price `at`.
    fn trade(&mut self, taker: &mut Taker, slot: Slot, at: Price, events: &mut Vec<Event>) {
        let maker = self.book.at(slot);
        let size = taker.remaining().min(maker.remaining().hundredths());
        let maker_order = maker.order;
        let maker_notional = maker.notional;
        // Each side pays or receives at the execution price in its own outcome's terms.
        let maker_price = at.in_terms_of(maker_order.outcome);
        let taker_price = at.in_terms_of(taker.order.outcome);
        let maker_added = u128::from(size) * u128::from(maker_price.get());
        let taker_added = u128::from(size) * u128::from(taker_price.get());
        let size = Size::from_hundredths(size);
        let tokens = self.scale.tokens(size);
        let leg = |o: &NewOrder, price: Price, before: u128, added: u128| Leg {
            order: o.hash,
            wallet: o.wallet,
            side: o.side,
            outcome: o.outcome,
            price,
            collateral: self.scale.fill_collateral(o.side, before, added),
            fee: o
                .fee_terms()
                .fee(tokens)
                .expect("its terms were checked when placed or restored: every fee is computable"),
        };
        let fill = Fill {
            maker: leg(&maker_order, maker_price, maker_notional, maker_added),
            taker: leg(&taker.order, taker_price, taker.notional, taker_added),
            kind: MatchKind::of(maker_order.side, taker.order.side),
            size,
            tokens,
        };
        events.push(Event::Fill(fill));
        taker.filled += size.hundredths();
        taker.notional += taker_added;
        self.book.fill(slot, size, maker_added);
        self.touch(self.book.at(slot).side, at);
        let maker = self.book.at(slot);
        if maker.remaining() == Size::ZERO {
            let done = self.book.remove(slot);
            events.push(Event::Order(update(&done, OrderStatus::Matched, None)));
        } else {
            events.push(Event::Order(update(
                maker,
                OrderStatus::PartiallyFilled,
                None,
            )));
        }
    }

    /// The taker's end: filled, resting, or (a `MARKET` remainder) cancelled.
    fn finish(&mut self, taker: Taker, events: &mut Vec<Event>) {
        let o = taker.order;
        let filled = Size::from_hundredths(taker.filled);
        let remaining = Size::from_hundredths(taker.remaining());
        let (status, reason) = if remaining == Size::ZERO {
            (OrderStatus::Matched, None)
        } else if o.order_type == OrderType::Market {
            (OrderStatus::Cancelled, Some(CancelReason::MarketRemainder))
        } else if filled == Size::ZERO {
            (OrderStatus::Open, None)
        } else {
            (OrderStatus::PartiallyFilled, None)
        };
        events.push(Event::Order(OrderUpdate {
            order: o.hash,
            wallet: o.wallet,
            filled,
            remaining,
            status,
            reason,
        }));
        if status.is_live() {
            let priority = self
                .book
                .push(o, filled, taker.notional, taker.side, taker.limit);
            self.touch(taker.side, taker.limit);
            events.push(Event::Rested {
                order: o.hash,
                side: taker.side,
                price: taker.limit,
                priority,
            });
        }
    }

    fn cancel(
        &mut self,
        hash: OrderHash,
        reason: CancelReason,
        events: &mut Vec<Event>,
    ) -> Result<(), CoreError> {
        let slot = self.book.slot_of(&hash).ok_or(CoreError::NotOnBook(hash))?;
        self.take_off(slot, reason, events);
        Ok(())
    }

    fn cancel_wallet(
        &mut self,
        wallet: Wallet,
        outcome: Option<Outcome>,
        side: Option<Side>,
        events: &mut Vec<Event>,
    ) {
        let slots = self.book.slots_where(|r| {
            r.order.wallet == wallet
                && outcome.is_none_or(|o| r.order.outcome == o)
                && side.is_none_or(|s| r.order.side == s)
        });
        for slot in slots {
            self.take_off(slot, CancelReason::Requested, events);
        }
    }

    fn cancel_all(&mut self, events: &mut Vec<Event>) {
        for slot in self.book.slots_where(|_| true) {
            self.take_off(slot, CancelReason::MarketClosed, events);
        }
    }

    /// Removes a resting order unfilled: `EXPIRED` at its expiration, else `CANCELLED`.
    fn take_off(&mut self, slot: Slot, reason: CancelReason, events: &mut Vec<Event>) {
        let r = self.book.remove(slot);
        self.touch(r.side, r.price);
        let status = match reason {
            CancelReason::Expired => OrderStatus::Expired,
            _ => OrderStatus::Cancelled,
        };
        events.push(Event::Order(update(&r, status, Some(reason))));
    }

    fn touch(&mut self, side: BookSide, price: Price) {
        let bit = 1u128 << price.get();
        match side {
            BookSide::Bid => self.touched_bids |= bit,
            BookSide::Ask => self.touched_asks |= bit,
        }
    }

    /// One `Level` event per level the command changed, bids then asks, by price.
    fn report_levels(&mut self, events: &mut Vec<Event>) {
        for (side, touched) in [
            (BookSide::Bid, std::mem::take(&mut self.touched_bids)),
            (BookSide::Ask, std::mem::take(&mut self.touched_asks)),
        ] {
            let mut bits = touched;
            while bits != 0 {
                let p = bits.trailing_zeros();
                bits &= bits - 1;
                if let Some(price) = u8::try_from(p).ok().and_then(Price::new) {
                    let size = self.book.level_total(side, price);
                    events.push(Event::Level { side, price, size });
                }
            }
        }
    }
}

fn update(r: &Resting, status: OrderStatus, reason: Option<CancelReason>) -> OrderUpdate {
    OrderUpdate {
        order: r.order.hash,
        wallet: r.order.wallet,
        filled: r.filled,
        remaining: r.remaining(),
        status,
        reason,
    }
}
