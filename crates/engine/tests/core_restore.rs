//! A book rebuilt from its saved resting orders behaves exactly like the book it was saved
//! from: a random command stream is cut at a random point, the resting orders are saved,
//! restored in a shuffled order on a fresh market, and the rest of the stream must do the same
//! on both.

mod common;

use engine::core::{BookSide, Event, Market, Price, SavedOrder, Scale};
use proptest::prelude::*;
use proptest::sample::Index;
use types::{OrderHash, Size};

/// A Fisher-Yates shuffle driven by a seed (a 64-bit LCG), so a failing case replays.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(seed >> 33).expect("31 bits fit usize") % (i + 1);
        items.swap(i, j);
    }
}

/// Every resting order with what decides how it trades, oldest first: the same list on two
/// markets means the same FIFO at every level, whatever the priority numbers.
fn resting(m: &Market) -> Vec<(OrderHash, Size, u128, BookSide, Price)> {
    let mut orders: Vec<_> = m.book().iter().collect();
    orders.sort_by_key(|r| r.priority);
    orders
        .into_iter()
        .map(|r| (r.order.hash, r.filled, r.notional, r.side, r.price))
        .collect()
}

/// The events with each `Rested` priority blanked: a restored market numbers new orders from
/// its largest restored priority, which can be below the number the saved market had reached
/// (when its newest orders had left the book). Their order is checked through `resting`.
fn without_priorities(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .map(|e| match e {
            Event::Rested {
                order, side, price, ..
            } => Event::Rested {
                order,
                side,
                price,
                priority: 0,
            },
            other => other,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_restored_book_behaves_like_the_book_it_was_saved_from(
        (decimals, commands) in common::streams(250),
        cut in any::<Index>(),
        seed in any::<u64>(),
    ) {
        let scale = Scale::new(decimals).expect("decimals in range");
        let mut saved_from = Market::new(scale);
        let cut = cut.index(commands.len() + 1);
        let mut events = Vec::new();
        for command in &commands[..cut] {
            // A refused command changes nothing, on either market.
            let _ = saved_from.apply(*command, &mut events);
        }
        let mut saved: Vec<SavedOrder> = saved_from.book().iter().map(SavedOrder::from).collect();
        shuffle(&mut saved, seed);
        let (mut restored, refused) = Market::restore(scale, saved);
        prop_assert!(refused.is_empty(), "refused {:?}", refused);
        prop_assert_eq!(resting(&restored), resting(&saved_from));
        for (step, command) in commands[cut..].iter().enumerate() {
            let (mut want, mut got) = (Vec::new(), Vec::new());
            let want_result = saved_from.apply(*command, &mut want);
            let got_result = restored.apply(*command, &mut got);
            prop_assert_eq!(got_result, want_result, "step {}: {:?}", step, command);
            prop_assert_eq!(
                without_priorities(got),
                without_priorities(want),
                "step {}: {:?}",
                step,
                command
            );
            prop_assert_eq!(resting(&restored), resting(&saved_from), "step {}", step);
        }
    }
}
