//! A market's resting orders: 101 price levels per side of the YES-terms book, each a FIFO
//! list, so price-time priority is "best occupied level, then its head".
//!
//! Orders live in an arena; a level links its orders through their arena keys, which makes
//! removing any order (a cancel, a fill) O(1), and a bit per level says which levels hold
//! orders, so the best level is one bit scan. This module stores and finds; the rules of who
//! trades with whom are in `matching`.

use std::collections::HashMap;

use slab::Slab;
use types::{OrderHash, Size};

use super::order::NewOrder;
use super::price::{BookSide, Price};

/// A resting order: what was placed, how much of it traded, and its place in the queue.
#[derive(Clone, Debug)]
pub struct Resting {
    pub order: NewOrder,
    pub filled: Size,
    /// The exact `hundredths * ticks` of its fills so far (`amounts` module docs).
    pub notional: u128,
    pub side: BookSide,
    pub price: Price,
    pub priority: u64,
    prev: Option<usize>,
    next: Option<usize>,
}

impl Resting {
    pub fn remaining(&self) -> Size {
        Size::from_hundredths(self.order.size.hundredths() - self.filled.hundredths())
    }
}

#[derive(Clone, Copy, Default, Debug)]
struct Level {
    head: Option<usize>,
    tail: Option<usize>,
    /// Remaining hundredths of every order at the level.
    total: u64,
}

const LEVELS: usize = 101;

#[derive(Debug)]
struct Ladder {
    levels: [Level; LEVELS],
    /// Bit `p` set when level `p` holds an order.
    occupied: u128,
}

impl Ladder {
    fn new() -> Ladder {
        Ladder {
            levels: [Level::default(); LEVELS],
            occupied: 0,
        }
    }
}

/// Every resting order of one market.
#[derive(Debug)]
pub struct Book {
    orders: Slab<Resting>,
    by_hash: HashMap<OrderHash, usize>,
    bids: Ladder,
    asks: Ladder,
    next_priority: u64,
}

impl Default for Book {
    fn default() -> Book {
        Book::new()
    }
}

/// An arena key of a resting order; valid until the order leaves the book.
pub type Slot = usize;

impl Book {
    pub fn new() -> Book {
        Book {
            orders: Slab::new(),
            by_hash: HashMap::new(),
            bids: Ladder::new(),
            asks: Ladder::new(),
            next_priority: 0,
        }
    }

    fn ladder(&self, side: BookSide) -> &Ladder {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    fn ladder_mut(&mut self, side: BookSide) -> &mut Ladder {
        match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        }
    }

    /// The number of resting orders.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    pub fn contains(&self, hash: &OrderHash) -> bool {
        self.by_hash.contains_key(hash)
    }

    pub fn slot_of(&self, hash: &OrderHash) -> Option<Slot> {
        self.by_hash.get(hash).copied()
    }

    pub fn get(&self, hash: &OrderHash) -> Option<&Resting> {
        self.slot_of(hash).map(|s| &self.orders[s])
    }

    pub fn at(&self, slot: Slot) -> &Resting {
        &self.orders[slot]
    }

    /// The highest bid or the lowest ask.
    pub fn best(&self, side: BookSide) -> Option<Price> {
        let occupied = self.ladder(side).occupied;
        if occupied == 0 {
            return None;
        }
        let level = match side {
            BookSide::Bid => 127 - occupied.leading_zeros(),
            BookSide::Ask => occupied.trailing_zeros(),
        };
        // Bits are only ever set for levels 0..=100.
        u8::try_from(level).ok().and_then(Price::new)
    }

    /// The first order in time at a level.
    pub fn head(&self, side: BookSide, price: Price) -> Option<Slot> {
        self.ladder(side).levels[usize::from(price.get())].head
    }

    /// The remaining size of every order at a level.
    pub fn level_total(&self, side: BookSide, price: Price) -> Size {
        Size::from_hundredths(self.ladder(side).levels[usize::from(price.get())].total)
    }

    /// Occupied levels of a side with their totals, best first.
    pub fn depth(&self, side: BookSide) -> impl Iterator<Item = (Price, Size)> + '_ {
        let prices: Box<dyn Iterator<Item = u8>> = match side {
            BookSide::Bid => Box::new((0..=100u8).rev()),
            BookSide::Ask => Box::new(0..=100u8),
        };
        prices
            .filter_map(Price::new)
            .filter(move |p| self.ladder(side).occupied & (1u128 << p.get()) != 0)
            .map(move |p| (p, self.level_total(side, p)))
    }

    /// The resting orders that `keep` selects, in priority order. It scans the whole book:
    /// for cancels by wallet or of everything, rarer than placements.
    pub fn slots_where(&self, keep: impl Fn(&Resting) -> bool) -> Vec<Slot> {
        let mut slots: Vec<Slot> = self
            .orders
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(slot, _)| slot)
            .collect();
        slots.sort_by_key(|s| self.orders[*s].priority);
        slots
    }

    /// Every resting order, in any order.
    pub fn iter(&self) -> impl Iterator<Item = &Resting> + '_ {
        self.orders.iter().map(|(_, r)| r)
    }

    /// The priority the next order to rest gets: above every priority ever given on this book.
    pub fn next_priority(&self) -> u64 {
        self.next_priority
    }

    /// Puts an order at the back of its level with the next priority; returns that priority.
    pub fn push(
        &mut self,
        order: NewOrder,
        filled: Size,
        notional: u128,
        side: BookSide,
        price: Price,
    ) -> u64 {
        let priority = self.next_priority;
        self.push_at(order, filled, notional, side, price, priority);
        priority
    }

    /// Puts an order at the back of its level with a priority it was given before, for a
    /// rebuilt book. Orders must come in increasing priority, from `next_priority()` up, so
    /// that the back of each level is its newest order; the next priority follows this one.
    pub(super) fn push_at(
        &mut self,
        order: NewOrder,
        filled: Size,
        notional: u128,
        side: BookSide,
        price: Price,
        priority: u64,
    ) {
        debug_assert!(
            priority >= self.next_priority,
            "pushed out of priority order"
        );
        // Priorities count up from 0 by one per resting order: 2^64 is out of reach.
        self.next_priority = priority.saturating_add(1);
        let remaining = order.size.hundredths() - filled.hundredths();
        let tail = self.ladder(side).levels[usize::from(price.get())].tail;
        let slot = self.orders.insert(Resting {
            order,
            filled,
            notional,
            side,
            price,
            priority,
            prev: tail,
            next: None,
        });
        self.by_hash.insert(order.hash, slot);
        if let Some(t) = tail {
            self.orders[t].next = Some(slot);
        }
        let ladder = self.ladder_mut(side);
        let level = &mut ladder.levels[usize::from(price.get())];
        if level.head.is_none() {
            level.head = Some(slot);
        }
        level.tail = Some(slot);
        level.total += remaining;
        ladder.occupied |= 1u128 << price.get();
    }

    /// Records a fill of `size` at `added` notional on a resting order; the order stays on
    /// the book even when nothing remains (the caller removes it).
    pub fn fill(&mut self, slot: Slot, size: Size, added: u128) {
        let r = &mut self.orders[slot];
        r.filled = Size::from_hundredths(r.filled.hundredths() + size.hundredths());
        r.notional += added;
        let (side, price) = (r.side, r.price);
        self.ladder_mut(side).levels[usize::from(price.get())].total -= size.hundredths();
    }

    /// Takes an order off the book.
    pub fn remove(&mut self, slot: Slot) -> Resting {
        let r = self.orders.remove(slot);
        self.by_hash.remove(&r.order.hash);
        if let Some(p) = r.prev {
            self.orders[p].next = r.next;
        }
        if let Some(n) = r.next {
            self.orders[n].prev = r.prev;
        }
        let ladder = self.ladder_mut(r.side);
        let level = &mut ladder.levels[usize::from(r.price.get())];
        if level.head == Some(slot) {
            level.head = r.next;
        }
        if level.tail == Some(slot) {
            level.tail = r.prev;
        }
        level.total -= r.remaining().hundredths();
        if level.head.is_none() {
            ladder.occupied &= !(1u128 << r.price.get());
        }
        r
    }
}
