//! The matching core against a small, obviously correct reference matcher, command by command,
//! on random command streams; and the invariants of the core's module docs on every step.

use std::collections::{BTreeSet, HashMap};

use alloy_primitives::{Address, B256, U256};
use engine::core::{
    yes_terms, BookSide, CancelReason, Command, CoreError, Event, Fill, Leg, Market, MatchKind,
    NewOrder, OrderUpdate, Price, Rounding, Scale,
};
use proptest::prelude::*;
use types::{OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Ticks, Wallet, Wei};

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

    fn leg(&self, o: &NewOrder, at: Price, notional: u128, size: u64) -> Leg {
        let price = if o.outcome == Outcome::Yes {
            at
        } else {
            Price::new(100 - at.get()).unwrap()
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
            Command::CancelWallet(w) => {
                let mut mine: Vec<(u64, OrderHash)> = self
                    .resting
                    .iter()
                    .filter(|r| r.order.wallet == w)
                    .map(|r| (r.priority, r.order.hash))
                    .collect();
                mine.sort();
                for (_, h) in mine {
                    self.take_off(h, CancelReason::Requested, out)?;
                }
                Ok(())
            }
        };
        for (s, p) in std::mem::take(&mut self.touched) {
            let side = if s == 0 { BookSide::Bid } else { BookSide::Ask };
            let price = Price::new(p).unwrap();
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
                tokens: Wei(U256::from(size) * U256::from(10u8).pow(U256::from(self.decimals - 2))),
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

/// Balances of every wallet, the fee wallet's rounding share, and the collateral locked behind
/// minted pairs; signed, because the test does not model reservations.
#[derive(Default)]
struct Ledger {
    collateral: HashMap<Wallet, i128>,
    yes: HashMap<Wallet, i128>,
    no: HashMap<Wallet, i128>,
    fee_wallet: i128,
    locked: i128,
    /// Per order: collateral paid (BUY) or received (SELL), and size filled.
    per_order: HashMap<OrderHash, (i128, u64)>,
}

fn int(w: Wei) -> i128 {
    i128::try_from(u128::try_from(w.0).unwrap()).unwrap()
}

impl Ledger {
    fn leg(&mut self, leg: &Leg, tokens: i128, size: u64) {
        let c = int(leg.collateral);
        let (dc, dt) = match leg.side {
            Side::Buy => (-c, tokens),
            Side::Sell => (c, -tokens),
        };
        *self.collateral.entry(leg.wallet).or_default() += dc;
        let book = if leg.outcome == Outcome::Yes {
            &mut self.yes
        } else {
            &mut self.no
        };
        *book.entry(leg.wallet).or_default() += dt;
        let o = self.per_order.entry(leg.order).or_default();
        o.0 += c;
        o.1 += size;
    }

    fn fill(&mut self, f: &Fill) -> i128 {
        let tokens = int(f.tokens);
        self.leg(&f.maker, tokens, f.size.hundredths());
        self.leg(&f.taker, tokens, f.size.hundredths());
        match f.kind {
            MatchKind::Mint => self.locked += tokens,
            MatchKind::Merge => self.locked -= tokens,
            MatchKind::Plain => {}
        }
        // What the wallets and the lock lost or gained in collateral: the fee wallet's share.
        let before = self.fee_wallet;
        self.fee_wallet = -(self.collateral.values().sum::<i128>() + self.locked);
        self.fee_wallet - before
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

fn hash(n: u8) -> OrderHash {
    OrderHash(B256::with_last_byte(n))
}

fn order_strategy() -> impl Strategy<Value = NewOrder> {
    (
        0u8..48,
        0u8..4,
        prop::bool::ANY,
        prop::bool::ANY,
        prop_oneof![3 => 40u8..=60, 1 => 1u8..=100],
        prop_oneof![8 => 1u64..=400, 1 => Just(0u64)],
        prop::sample::select(vec![OrderType::Limit, OrderType::Gtd, OrderType::Market]),
    )
        .prop_map(|(h, w, buy, yes, p, size, order_type)| NewOrder {
            hash: hash(h),
            wallet: Wallet(Address::with_last_byte(w)),
            outcome: if yes { Outcome::Yes } else { Outcome::No },
            side: if buy { Side::Buy } else { Side::Sell },
            price: Ticks::new(p).unwrap(),
            size: Size::from_hundredths(size),
            order_type,
        })
}

fn command_strategy() -> impl Strategy<Value = Command> {
    prop_oneof![
        12 => order_strategy().prop_map(Command::Place),
        3 => (0u8..48).prop_map(|h| Command::Cancel(hash(h))),
        1 => (0u8..48).prop_map(|h| Command::Expire(hash(h))),
        1 => (0u8..4).prop_map(|w| Command::CancelWallet(Wallet(Address::with_last_byte(w)))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_core_does_what_the_reference_matcher_does_and_keeps_every_invariant(
        decimals in prop::sample::select(vec![2u8, 3, 4, 6, 18]),
        commands in prop::collection::vec(command_strategy(), 1..250),
    ) {
        let scale = Scale::new(decimals).unwrap();
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
                        let share = ledger.fill(f);
                        let expected = match f.rounding() {
                            Rounding::Exact => 0,
                            Rounding::ToFeeWallet(w) => int(w),
                            Rounding::FromFeeWallet(w) => -int(w),
                        };
                        prop_assert_eq!(share, expected);
                        prop_assert!(share.abs() <= 1);
                        if decimals >= 4 {
                            prop_assert_eq!(share, 0);
                        }
                        // The fee wallet's running share never goes negative.
                        prop_assert!(ledger.fee_wallet >= 0);
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
            // Each outcome token is conserved: every YES and NO held was minted against
            // collateral that is still locked.
            prop_assert_eq!(ledger.yes.values().sum::<i128>(), ledger.locked);
            prop_assert_eq!(ledger.no.values().sum::<i128>(), ledger.locked);
        }
        for (hash, record) in &ledger.per_order {
            check_limits(&sizes[hash], *record, &scale)?;
        }
    }
}
