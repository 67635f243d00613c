//! The matching core against a small, obviously correct reference matcher, command by command,
//! on random command streams; and the invariants of the core's module docs on every step.

mod common;

use std::collections::{BTreeSet, HashMap};

use alloy_primitives::U256;
use engine::core::{
    yes_terms, BookSide, CancelReason, Command, CoreError, Event, Fill, Leg, Market, MatchKind,
    NewOrder, OrderUpdate, Price, Rounding, Scale,
};
use proptest::prelude::*;
use types::{OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Wallet, Wei};

/// A resting order of the reference: a plain record in a `Vec`.
#[derive(Clone)]
struct RefOrder {
    order: NewOrder,
    filled: u64,
    notional: u128,
    side: BookSide,
    price: Price,
    priority: u64,
}

impl RefOrder {
    fn remaining(&self) -> u64 {
        self.order.size.hundredths() - self.filled
    }

    fn update(&self, status: OrderStatus, reason: Option<CancelReason>) -> OrderUpdate {
        OrderUpdate {
            order: self.order.hash,
            wallet: self.order.wallet,
            filled: Size::from_hundredths(self.filled),
            remaining: Size::from_hundredths(self.remaining()),
            status,
            reason,
        }
    }
}

/// Every rule written the slow, direct way: scan the whole `Vec` for the best crossing order,
/// compute amounts in U256 from the definition.
struct Reference {
    resting: Vec<RefOrder>,
    decimals: u8,
    next_priority: u64,
    touched: BTreeSet<(u8, u8)>,
}

impl Reference {
    fn new(decimals: u8) -> Reference {
        Reference {
            resting: Vec::new(),
            decimals,
            next_priority: 0,
            touched: BTreeSet::new(),
        }
    }

    /// `notional * 10^decimals / 10^4`, up for a BUY, down for a SELL.
    fn collateral(&self, side: Side, notional: u128) -> U256 {
        let scaled = U256::from(notional) * U256::from(10u8).pow(U256::from(self.decimals));
        let d = U256::from(10_000u32);
        match side {
            Side::Buy => scaled.div_ceil(d),
            Side::Sell => scaled / d,
        }
    }

    /// The base units of `size` hundredths of a share.
    fn tokens(&self, size: u64) -> U256 {
        U256::from(size) * U256::from(10u8).pow(U256::from(self.decimals - 2))
    }

    /// api.md 5.3, from the definition: on its own signed price `P`, a BUY pays
    /// `bps * min(P, 1 - P) * tokens / (P * 10000)` tokens, a SELL
    /// `bps * min(P, 1 - P) * tokens / (10000 * ONE)` collateral, rounded down.
    fn fee(o: &NewOrder, tokens: U256) -> U256 {
        let one = U256::from(10u64.pow(18));
        let (m, t) = (o.maker_amount.0, o.taker_amount.0);
        let p = match o.side {
            Side::Buy => m * one / t,
            Side::Sell => t * one / m,
        };
        if o.fee_rate_bps == 0 || p.is_zero() {
            return U256::ZERO;
        }
        let cheaper = p.min(one - p);
        let bps = U256::from(o.fee_rate_bps);
        match o.side {
            Side::Buy => bps * cheaper * tokens / (p * U256::from(10_000u32)),
            Side::Sell => bps * cheaper * tokens / (U256::from(10_000u32) * one),
        }
    }

    /// The core takes only orders signed as acceptance checks them, at a rate up to 100%.
    fn terms_hold(&self, o: &NewOrder) -> bool {
        let signed = signing::signed_amounts(o.side, o.price, o.size, self.decimals)
            .expect("small sizes fit");
        o.fee_rate_bps <= 10_000
            && o.maker_amount.0 == signed.maker
            && o.taker_amount.0 == signed.taker
    }

    fn leg(&self, o: &NewOrder, at: Price, notional: u128, size: u64) -> Leg {
        let price = if o.outcome == Outcome::Yes {
            at
        } else {
            Price::new(100 - at.get()).expect("a complement of 0..=100")
        };
        let added = u128::from(size) * u128::from(price.get());
        Leg {
            order: o.hash,
            wallet: o.wallet,
            side: o.side,
            outcome: o.outcome,
            price,
            collateral: Wei(
                self.collateral(o.side, notional + added) - self.collateral(o.side, notional)
            ),
            fee: Wei(Reference::fee(o, self.tokens(size))),
        }
    }

    fn touch(&mut self, side: BookSide, price: Price) {
        let s = if side == BookSide::Bid { 0 } else { 1 };
        self.touched.insert((s, price.get()));
    }

    fn apply(&mut self, command: Command, out: &mut Vec<Event>) -> Result<(), CoreError> {
        let result = match command {
            Command::Place(o) => self.place(o, out),
            Command::Cancel(h) => self.take_off(h, CancelReason::Requested, out),
            Command::Expire(h) => self.take_off(h, CancelReason::Expired, out),
            Command::CancelWallet {
                wallet,
                outcome,
                side,
            } => self.take_off_all(
                |o| {
                    o.wallet == wallet
                        && outcome.is_none_or(|x| x == o.outcome)
                        && side.is_none_or(|x| x == o.side)
                },
                CancelReason::Requested,
                out,
            ),
            Command::CancelAll => self.take_off_all(|_| true, CancelReason::MarketClosed, out),
        };
        for (s, p) in std::mem::take(&mut self.touched) {
            let side = if s == 0 { BookSide::Bid } else { BookSide::Ask };
            let price = Price::new(p).expect("a level of 0..=100");
            let total: u64 = self
                .resting
                .iter()
                .filter(|r| r.side == side && r.price == price)
                .map(RefOrder::remaining)
                .sum();
            out.push(Event::Level {
                side,
                price,
                size: Size::from_hundredths(total),
            });
        }
        result
    }

    /// Takes off every resting order that `which` selects, oldest first.
    fn take_off_all(
        &mut self,
        which: impl Fn(&NewOrder) -> bool,
        reason: CancelReason,
        out: &mut Vec<Event>,
    ) -> Result<(), CoreError> {
        let mut chosen: Vec<(u64, OrderHash)> = self
            .resting
            .iter()
            .filter(|r| which(&r.order))
            .map(|r| (r.priority, r.order.hash))
            .collect();
        chosen.sort();
        for (_, h) in chosen {
            self.take_off(h, reason, out)?;
        }
        Ok(())
    }

    fn take_off(
        &mut self,
        hash: OrderHash,
        reason: CancelReason,
        out: &mut Vec<Event>,
    ) -> Result<(), CoreError> {
        let i = self
            .resting
            .iter()
            .position(|r| r.order.hash == hash)
            .ok_or(CoreError::NotOnBook(hash))?;
        let r = self.resting.remove(i);
        self.touch(r.side, r.price);
        let status = if reason == CancelReason::Expired {
            OrderStatus::Expired
        } else {
            OrderStatus::Cancelled
        };
        out.push(Event::Order(r.update(status, Some(reason))));
        Ok(())
    }

    fn place(&mut self, o: NewOrder, out: &mut Vec<Event>) -> Result<(), CoreError> {
        if self.resting.iter().any(|r| r.order.hash == o.hash) {
            return Err(CoreError::DuplicateOrder(o.hash));
        }
        if o.size == Size::ZERO {
            return Err(CoreError::ZeroSize(o.hash));
        }
        if !self.terms_hold(&o) {
            return Err(CoreError::InvalidTerms(o.hash));
        }
        let (side, limit) = yes_terms(o.side, o.outcome, o.price);
        let mut filled = 0u64;
        let mut notional = 0u128;
        while filled < o.size.hundredths() {
            // The best crossing resting order: best price for the taker, then oldest.
            let best = self
                .resting
                .iter()
                .enumerate()
                .filter(|(_, r)| r.side != side)
                .filter(|(_, r)| match side {
                    BookSide::Bid => r.price <= limit,
                    BookSide::Ask => r.price >= limit,
                })
                .min_by_key(|(_, r)| {
                    let p = i32::from(r.price.get());
                    (if side == BookSide::Bid { p } else { -p }, r.priority)
                })
                .map(|(i, _)| i);
            let Some(i) = best else { break };
            if self.resting[i].order.wallet == o.wallet {
                let h = self.resting[i].order.hash;
                self.take_off(h, CancelReason::SelfTrade, out)?;
                continue;
            }
            let at = self.resting[i].price;
            let size = (o.size.hundredths() - filled).min(self.resting[i].remaining());
            let maker = self.resting[i].clone();
            let taker_leg = self.leg(&o, at, notional, size);
            let maker_leg = self.leg(&maker.order, at, maker.notional, size);
            let kind = match (maker.order.side, o.side) {
                (Side::Buy, Side::Buy) => MatchKind::Mint,
                (Side::Sell, Side::Sell) => MatchKind::Merge,
                _ => MatchKind::Plain,
            };
            out.push(Event::Fill(Fill {
                maker: maker_leg,
                taker: taker_leg,
                kind,
                size: Size::from_hundredths(size),
                tokens: Wei(self.tokens(size)),
            }));
            filled += size;
            notional += u128::from(size) * u128::from(taker_leg.price.get());
            let r = &mut self.resting[i];
            r.filled += size;
            r.notional += u128::from(size) * u128::from(maker_leg.price.get());
            self.touch(at_side(side), at);
            if self.resting[i].remaining() == 0 {
                let r = self.resting.remove(i);
                out.push(Event::Order(r.update(OrderStatus::Matched, None)));
            } else {
                out.push(Event::Order(
                    self.resting[i].update(OrderStatus::PartiallyFilled, None),
                ));
            }
        }
        let rest = RefOrder {
            order: o,
            filled,
            notional,
            side,
            price: limit,
            priority: self.next_priority,
        };
        let (status, reason) = if rest.remaining() == 0 {
            (OrderStatus::Matched, None)
        } else if o.order_type == OrderType::Market {
            (OrderStatus::Cancelled, Some(CancelReason::MarketRemainder))
        } else if filled == 0 {
            (OrderStatus::Open, None)
        } else {
            (OrderStatus::PartiallyFilled, None)
        };
        out.push(Event::Order(rest.update(status, reason)));
        if status.is_live() {
            out.push(Event::Rested {
                order: o.hash,
                side,
                price: limit,
                priority: self.next_priority,
            });
            self.next_priority += 1;
            self.touch(side, limit);
            self.resting.push(rest);
        }
        Ok(())
    }
}

fn at_side(taker: BookSide) -> BookSide {
    taker.opposite()
}

/// What one holder has, signed because the test does not model deposits or reservations.
#[derive(Default, Clone, Copy)]
struct Holdings {
    collateral: i128,
    yes: i128,
    no: i128,
}

impl Holdings {
    fn tokens(&mut self, outcome: Outcome) -> &mut i128 {
        match outcome {
            Outcome::Yes => &mut self.yes,
            Outcome::No => &mut self.no,
        }
    }
}

/// Every wallet's holdings, the fee wallet's (its fees and its rounding share), and the
/// collateral locked behind minted pairs, moved by each fill as the matcher will move them.
#[derive(Default)]
struct Ledger {
    wallets: HashMap<Wallet, Holdings>,
    fee_wallet: Holdings,
    /// The fee wallet's rounding share so far (`Fill::rounding`), apart from its fees.
    rounding: i128,
    locked: i128,
    /// Per order: collateral paid (BUY) or received (SELL) before fees, and size filled.
    per_order: HashMap<OrderHash, (i128, u64)>,
}

fn int(w: Wei) -> i128 {
    i128::try_from(u128::try_from(w.0).expect("amounts fit u128")).expect("amounts fit i128")
}

impl Ledger {
    /// One side: a BUY pays collateral and gets its tokens less its fee; a SELL gives tokens
    /// and gets collateral less its fee. No fee is more than what its side receives.
    fn leg(&mut self, leg: &Leg, tokens: i128, size: u64) -> Result<(), TestCaseError> {
        let (c, fee) = (int(leg.collateral), int(leg.fee));
        let holder = self.wallets.entry(leg.wallet).or_default();
        match leg.side {
            Side::Buy => {
                prop_assert!(fee <= tokens, "{:?}: a fee above the tokens received", leg);
                holder.collateral -= c;
                *holder.tokens(leg.outcome) += tokens - fee;
                *self.fee_wallet.tokens(leg.outcome) += fee;
            }
            Side::Sell => {
                prop_assert!(fee <= c, "{:?}: a fee above the collateral received", leg);
                holder.collateral += c - fee;
                *holder.tokens(leg.outcome) -= tokens;
                self.fee_wallet.collateral += fee;
            }
        }
        let o = self.per_order.entry(leg.order).or_default();
        o.0 += c;
        o.1 += size;
        Ok(())
    }

    /// Moves a fill; returns the fee wallet's rounding share of it.
    fn fill(&mut self, f: &Fill) -> Result<i128, TestCaseError> {
        let tokens = int(f.tokens);
        self.leg(&f.maker, tokens, f.size.hundredths())?;
        self.leg(&f.taker, tokens, f.size.hundredths())?;
        match f.kind {
            MatchKind::Mint => self.locked += tokens,
            MatchKind::Merge => self.locked -= tokens,
            MatchKind::Plain => {}
        }
        let share = match f.rounding() {
            Rounding::Exact => 0,
            Rounding::ToFeeWallet(w) => int(w),
            Rounding::FromFeeWallet(w) => -int(w),
        };
        self.fee_wallet.collateral += share;
        self.rounding += share;
        Ok(share)
    }

    /// Every asset is where it was, summed over all wallets, the fee wallet and the lock: no
    /// collateral appeared or vanished, and every YES and NO token held (fees included) was
    /// minted against collateral still locked.
    fn check_conservation(&self) -> Result<(), TestCaseError> {
        let holders = || self.wallets.values().chain([&self.fee_wallet]);
        let collateral: i128 = holders().map(|h| h.collateral).sum();
        prop_assert_eq!(collateral + self.locked, 0);
        prop_assert_eq!(holders().map(|h| h.yes).sum::<i128>(), self.locked);
        prop_assert_eq!(holders().map(|h| h.no).sum::<i128>(), self.locked);
        Ok(())
    }
}

/// A BUY never paid more than its limit allows (its reservation when full); a SELL never
/// received less than it signed for.
fn check_limits(
    o: &NewOrder,
    (paid_or_received, filled): (i128, u64),
    scale: &Scale,
) -> Result<(), TestCaseError> {
    let at_limit = u128::from(filled) * u128::from(o.price.get());
    let limit = int(scale.collateral(o.side, at_limit));
    match o.side {
        Side::Buy => prop_assert!(
            paid_or_received <= limit,
            "{:?} paid {}",
            o,
            paid_or_received
        ),
        Side::Sell => prop_assert!(
            paid_or_received >= limit,
            "{:?} got {}",
            o,
            paid_or_received
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_core_does_what_the_reference_matcher_does_and_keeps_every_invariant(
        (decimals, commands) in common::streams(250),
    ) {
        let scale = Scale::new(decimals).expect("decimals in range");
        let mut core = Market::new(scale);
        let mut reference = Reference::new(decimals);
        let mut ledger = Ledger::default();
        let mut sizes: HashMap<OrderHash, NewOrder> = HashMap::new();
        let mut replica: HashMap<(bool, u8), u64> = HashMap::new();
        for (step, command) in commands.into_iter().enumerate() {
            let (mut got, mut want) = (Vec::new(), Vec::new());
            let got_result = core.apply(command, &mut got);
            let want_result = reference.apply(command, &mut want);
            prop_assert_eq!(got_result, want_result, "step {}: {:?}", step, command);
            prop_assert_eq!(&got, &want, "step {}: {:?}", step, command);
            if let (Command::Place(o), Ok(())) = (command, got_result) {
                sizes.insert(o.hash, o);
            }
            for e in &got {
                match e {
                    Event::Fill(f) => {
                        let share = ledger.fill(f)?;
                        prop_assert!(share.abs() <= 1);
                        if decimals >= 4 {
                            prop_assert_eq!(share, 0);
                        }
                        // The fee wallet's running rounding share never goes negative.
                        prop_assert!(ledger.rounding >= 0);
                    }
                    Event::Order(u) => {
                        let o = sizes[&u.order];
                        prop_assert!(u.filled <= o.size);
                        prop_assert_eq!(
                            u.filled.hundredths() + u.remaining.hundredths(),
                            o.size.hundredths()
                        );
                        // Its hash may come back once it is off the book: check it now.
                        if !u.status.is_live() {
                            if let Some(record) = ledger.per_order.remove(&u.order) {
                                prop_assert_eq!(record.1, u.filled.hundredths());
                                check_limits(&o, record, &scale)?;
                            }
                        }
                    }
                    Event::Level { side, price, size } => {
                        replica.insert((*side == BookSide::Bid, price.get()), size.hundredths());
                    }
                    Event::Rested { .. } => {}
                }
            }
            // No crossed book at rest.
            if let (Some(bid), Some(ask)) =
                (core.book().best(BookSide::Bid), core.book().best(BookSide::Ask))
            {
                prop_assert!(bid < ask, "step {}: bid {} >= ask {}", step, bid, ask);
            }
            // The levels reported as deltas rebuild the book's depth.
            for side in [BookSide::Bid, BookSide::Ask] {
                let depth: Vec<(u8, u64)> = core
                    .book()
                    .depth(side)
                    .map(|(p, s)| (p.get(), s.hundredths()))
                    .collect();
                let mut from_deltas: Vec<(u8, u64)> = replica
                    .iter()
                    .filter(|((bid, _), size)| *bid == (side == BookSide::Bid) && **size > 0)
                    .map(|((_, p), s)| (*p, *s))
                    .collect();
                from_deltas.sort_by_key(|(p, _)| if side == BookSide::Bid { -i32::from(*p) } else { i32::from(*p) });
                prop_assert_eq!(depth, from_deltas);
            }
            ledger.check_conservation()?;
        }
        for (hash, record) in &ledger.per_order {
            check_limits(&sizes[hash], *record, &scale)?;
        }
    }
}
