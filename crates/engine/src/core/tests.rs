//! One test per rule of the module docs.

use alloy_primitives::{Address, B256, U256};
use types::{OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Ticks, Wallet, Wei};

use super::*;

const YES: Outcome = Outcome::Yes;
const NO: Outcome = Outcome::No;
const BUY: Side = Side::Buy;
const SELL: Side = Side::Sell;

fn hash(n: u8) -> OrderHash {
    OrderHash(B256::with_last_byte(n))
}

fn wallet(n: u8) -> Wallet {
    Wallet(Address::with_last_byte(n))
}

fn price(p: u8) -> Price {
    Price::new(p).expect("a price from 0 to 100")
}

fn four_decimals() -> Scale {
    Scale::new(4).expect("4 decimals")
}

/// Order `n` of wallet `w` on a market of `scale`: `side` `outcome` at `p` ticks for `size`
/// hundredths, signed as acceptance checks it, without a fee.
fn order_on(
    scale: Scale,
    n: u8,
    w: u8,
    side: Side,
    outcome: Outcome,
    p: u8,
    size: u64,
) -> NewOrder {
    let price = Ticks::new(p).expect("a price from 1 to 100");
    let size = Size::from_hundredths(size);
    let (maker_amount, taker_amount) = scale.signed_amounts(side, price, size);
    NewOrder {
        hash: hash(n),
        wallet: wallet(w),
        outcome,
        side,
        price,
        size,
        order_type: OrderType::Limit,
        maker_amount,
        taker_amount,
        fee_rate_bps: 0,
    }
}

/// The same on the 4-decimal market of [`market`].
fn order(n: u8, w: u8, side: Side, outcome: Outcome, p: u8, size: u64) -> NewOrder {
    order_on(four_decimals(), n, w, side, outcome, p, size)
}

fn with_fee(o: NewOrder, fee_rate_bps: u32) -> NewOrder {
    NewOrder { fee_rate_bps, ..o }
}

fn market_order(n: u8, w: u8, side: Side, outcome: Outcome, p: u8, size: u64) -> NewOrder {
    NewOrder {
        order_type: OrderType::Market,
        ..order(n, w, side, outcome, p, size)
    }
}

/// A market on 4 decimals, where one hundredth-tick is one base unit of collateral.
fn market() -> Market {
    Market::new(four_decimals())
}

fn run(m: &mut Market, command: Command) -> Vec<Event> {
    let mut events = Vec::new();
    m.apply(command, &mut events).expect("the command applies");
    events
}

fn place(m: &mut Market, o: NewOrder) -> Vec<Event> {
    run(m, Command::Place(o))
}

fn fills(events: &[Event]) -> Vec<Fill> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Fill(f) => Some(*f),
            _ => None,
        })
        .collect()
}

/// The last update of order `n` in `events`.
fn last_update(events: &[Event], n: u8) -> OrderUpdate {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Order(u) if u.order == hash(n) => Some(*u),
            _ => None,
        })
        .expect("an update of that order")
}

fn levels(events: &[Event]) -> Vec<(BookSide, u8, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Level { side, price, size } => Some((*side, price.get(), size.hundredths())),
            _ => None,
        })
        .collect()
}

/// The orders updated by `events`, in order.
fn updated(events: &[Event]) -> Vec<OrderHash> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Order(u) => Some(u.order),
            _ => None,
        })
        .collect()
}

fn cancel_wallet(w: u8, outcome: Option<Outcome>, side: Option<Side>) -> Command {
    Command::CancelWallet {
        wallet: wallet(w),
        outcome,
        side,
    }
}

fn wei(v: u64) -> Wei {
    Wei(U256::from(v))
}

fn depth(m: &Market, side: BookSide) -> Vec<(u8, u64)> {
    m.book()
        .depth(side)
        .map(|(p, s)| (p.get(), s.hundredths()))
        .collect()
}

#[test]
fn orders_that_do_not_cross_rest_open_in_yes_terms() {
    let mut m = market();
    let e = place(&mut m, order(1, 1, BUY, YES, 40, 100));
    assert_eq!(last_update(&e, 1).status, OrderStatus::Open);
    assert!(matches!(
        e[1],
        Event::Rested { side: BookSide::Bid, price: p, priority: 0, .. } if p == price(40)
    ));
    assert_eq!(levels(&e), vec![(BookSide::Bid, 40, 100)]);
    // BUY NO at 0.55 is a YES ask at 0.45: above the bid, so no mint.
    place(&mut m, order(2, 2, BUY, NO, 55, 100));
    // SELL NO at 0.70 is a YES bid at 0.30.
    place(&mut m, order(3, 3, SELL, NO, 70, 100));
    assert_eq!(depth(&m, BookSide::Bid), vec![(40, 100), (30, 100)]);
    assert_eq!(depth(&m, BookSide::Ask), vec![(45, 100)]);
    assert_eq!(m.book().len(), 3);
}

#[test]
fn buy_yes_and_sell_yes_trade_plain_at_the_resting_price() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 55, 100));
    let e = place(&mut m, order(2, 2, BUY, YES, 60, 100));
    let f = fills(&e);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, MatchKind::Plain);
    assert_eq!((f[0].maker.order, f[0].taker.order), (hash(1), hash(2)));
    assert_eq!(f[0].maker.price, price(55));
    assert_eq!(f[0].taker.price, price(55));
    // 1 share at 0.55 on 4 decimals: 5500 base units each way, 10000 tokens.
    assert_eq!(f[0].maker.collateral, wei(5_500));
    assert_eq!(f[0].taker.collateral, wei(5_500));
    assert_eq!(f[0].tokens, wei(10_000));
    assert_eq!(f[0].rounding(), Rounding::Exact);
    assert_eq!(last_update(&e, 1).status, OrderStatus::Matched);
    assert_eq!(last_update(&e, 2).status, OrderStatus::Matched);
    assert!(m.book().is_empty());
    assert_eq!(levels(&e), vec![(BookSide::Ask, 55, 0)]);
}

#[test]
fn buy_no_and_sell_no_trade_plain_in_no_terms() {
    let mut m = market();
    // SELL NO at 0.40 rests as a YES bid at 0.60.
    place(&mut m, order(1, 1, SELL, NO, 40, 100));
    // BUY NO at 0.45 is a YES ask at 0.55: crosses the bid at 0.60.
    let e = place(&mut m, order(2, 2, BUY, NO, 45, 100));
    let f = fills(&e)[0];
    assert_eq!(f.kind, MatchKind::Plain);
    // The resting price 0.60 in YES terms is 0.40 in NO terms for both.
    assert_eq!((f.maker.price, f.taker.price), (price(40), price(40)));
    assert_eq!(f.taker.collateral, wei(4_000));
}

#[test]
fn buy_yes_and_buy_no_mint_when_their_prices_add_up_to_at_least_one() {
    let mut m = market();
    // BUY NO at 0.40: an ask at 0.60.
    place(&mut m, order(1, 1, BUY, NO, 40, 100));
    // BUY YES at 0.59: 0.59 + 0.40 < 1, no mint.
    let e = place(&mut m, order(2, 2, BUY, YES, 59, 100));
    assert!(fills(&e).is_empty());
    // BUY YES at 0.65: mint at the resting price, 0.60 for YES and 0.40 for NO.
    let e = place(&mut m, order(3, 3, BUY, YES, 65, 100));
    let f = fills(&e)[0];
    assert_eq!(f.kind, MatchKind::Mint);
    assert_eq!((f.maker.outcome, f.taker.outcome), (NO, YES));
    assert_eq!((f.maker.price, f.taker.price), (price(40), price(60)));
    assert_eq!(
        (f.maker.collateral, f.taker.collateral),
        (wei(4_000), wei(6_000))
    );
    assert_eq!(f.tokens, wei(10_000));
    assert_eq!(f.rounding(), Rounding::Exact);
}

#[test]
fn sell_yes_and_sell_no_merge_when_their_prices_add_up_to_at_most_one() {
    let mut m = market();
    // SELL NO at 0.45: a bid at 0.55.
    place(&mut m, order(1, 1, SELL, NO, 45, 100));
    // SELL YES at 0.56: 0.56 + 0.45 > 1, no merge.
    assert!(fills(&place(&mut m, order(2, 2, SELL, YES, 56, 100))).is_empty());
    let e = place(&mut m, order(3, 3, SELL, YES, 50, 100));
    let f = fills(&e)[0];
    assert_eq!(f.kind, MatchKind::Merge);
    assert_eq!((f.maker.price, f.taker.price), (price(45), price(55)));
    assert_eq!(
        (f.maker.collateral, f.taker.collateral),
        (wei(4_500), wei(5_500))
    );
    assert_eq!(f.rounding(), Rounding::Exact);
}

#[test]
fn price_time_priority_takes_the_best_level_then_the_oldest_order() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 56, 100));
    place(&mut m, order(2, 2, SELL, YES, 55, 100));
    place(&mut m, order(3, 3, SELL, YES, 55, 100));
    let e = place(&mut m, order(4, 4, BUY, YES, 60, 150));
    let makers: Vec<OrderHash> = fills(&e).iter().map(|f| f.maker.order).collect();
    assert_eq!(makers, vec![hash(2), hash(3)]);
    assert_eq!(last_update(&e, 3).status, OrderStatus::PartiallyFilled);
    assert_eq!(last_update(&e, 3).remaining, Size::from_hundredths(50));
    // Order 3 keeps its place ahead of a newer order at its level.
    place(&mut m, order(5, 5, SELL, YES, 55, 100));
    let e = place(&mut m, order(6, 6, BUY, YES, 55, 10));
    assert_eq!(fills(&e)[0].maker.order, hash(3));
}

#[test]
fn a_taker_sweeps_several_levels_each_at_its_resting_price() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 50, 100));
    place(&mut m, order(2, 2, BUY, NO, 48, 100)); // ask at 0.52
    place(&mut m, order(3, 3, SELL, YES, 54, 100));
    let e = place(&mut m, order(4, 4, BUY, YES, 53, 300));
    let f = fills(&e);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].taker.price, f[1].taker.price), (price(50), price(52)));
    assert_eq!((f[0].kind, f[1].kind), (MatchKind::Plain, MatchKind::Mint));
    let u = last_update(&e, 4);
    assert_eq!(
        (u.status, u.filled.hundredths(), u.remaining.hundredths()),
        (OrderStatus::PartiallyFilled, 200, 100)
    );
    assert_eq!(depth(&m, BookSide::Bid), vec![(53, 100)]);
    assert_eq!(depth(&m, BookSide::Ask), vec![(54, 100)]);
}

#[test]
fn a_partly_filled_market_order_ends_cancelled_with_its_unfilled_remainder() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 50, 100));
    place(&mut m, order(2, 2, SELL, YES, 70, 100));
    let e = place(&mut m, market_order(3, 3, BUY, YES, 60, 250));
    // It never fills beyond its price: the ask at 0.70 stays.
    assert_eq!(fills(&e).len(), 1);
    let u = last_update(&e, 3);
    assert_eq!(u.status, OrderStatus::Cancelled);
    assert_eq!(u.reason, Some(CancelReason::MarketRemainder));
    assert_eq!(
        (u.filled.hundredths(), u.remaining.hundredths()),
        (100, 150)
    );
    assert!(!m.book().contains(&hash(3)));
    assert_eq!(depth(&m, BookSide::Ask), vec![(70, 100)]);
    assert!(depth(&m, BookSide::Bid).is_empty());
}

#[test]
fn a_market_order_that_fills_is_matched_and_one_that_cannot_is_cancelled() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 50, 100));
    let e = place(&mut m, market_order(2, 2, BUY, YES, 50, 100));
    assert_eq!(last_update(&e, 2).status, OrderStatus::Matched);
    let e = place(&mut m, market_order(3, 3, BUY, YES, 50, 100));
    assert_eq!(last_update(&e, 3).status, OrderStatus::Cancelled);
    assert!(m.book().is_empty());
}

#[test]
fn a_resting_order_of_the_same_wallet_is_cancelled_and_matching_goes_on() {
    let mut m = market();
    place(&mut m, order(1, 7, SELL, YES, 50, 100));
    place(&mut m, order(2, 2, SELL, YES, 51, 100));
    let e = place(&mut m, order(3, 7, BUY, YES, 55, 100));
    let u = last_update(&e, 1);
    assert_eq!(
        (u.status, u.reason),
        (OrderStatus::Cancelled, Some(CancelReason::SelfTrade))
    );
    let f = fills(&e);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].maker.order, hash(2));
    assert_eq!(last_update(&e, 3).status, OrderStatus::Matched);
    // The wallet's order that would not trade stays.
    place(&mut m, order(4, 7, SELL, YES, 90, 100));
    let e = place(&mut m, order(5, 7, BUY, YES, 60, 100));
    assert!(fills(&e).is_empty());
    assert!(m.book().contains(&hash(4)));
}

#[test]
fn cancel_takes_the_order_off_and_reports_its_level() {
    let mut m = market();
    place(&mut m, order(1, 1, BUY, YES, 40, 100));
    place(&mut m, order(2, 2, BUY, YES, 40, 30));
    let e = run(&mut m, Command::Cancel(hash(1)));
    let u = last_update(&e, 1);
    assert_eq!(
        (u.status, u.reason),
        (OrderStatus::Cancelled, Some(CancelReason::Requested))
    );
    assert_eq!(levels(&e), vec![(BookSide::Bid, 40, 30)]);
    let mut events = Vec::new();
    assert_eq!(
        m.apply(Command::Cancel(hash(1)), &mut events),
        Err(CoreError::NotOnBook(hash(1)))
    );
    assert!(events.is_empty());
}

#[test]
fn expire_takes_a_resting_order_off_as_expired() {
    let mut m = market();
    place(&mut m, order(1, 1, BUY, YES, 40, 100));
    place(&mut m, order(2, 2, SELL, YES, 40, 40));
    let u = last_update(&run(&mut m, Command::Expire(hash(1))), 1);
    assert_eq!(
        (u.status, u.filled.hundredths(), u.remaining.hundredths()),
        (OrderStatus::Expired, 40, 60)
    );
    assert!(m.book().is_empty());
}

#[test]
fn cancel_wallet_takes_off_only_that_wallets_orders_oldest_first() {
    let mut m = market();
    place(&mut m, order(1, 1, BUY, YES, 40, 100));
    place(&mut m, order(2, 2, BUY, YES, 41, 100));
    place(&mut m, order(3, 1, SELL, YES, 60, 100));
    let e = run(&mut m, cancel_wallet(1, None, None));
    assert_eq!(updated(&e), vec![hash(1), hash(3)]);
    assert_eq!(m.book().len(), 1);
    assert!(m.book().contains(&hash(2)));
}

#[test]
fn a_duplicate_or_empty_order_is_refused_and_changes_nothing() {
    let mut m = market();
    place(&mut m, order(1, 1, BUY, YES, 40, 100));
    let mut events = Vec::new();
    assert_eq!(
        m.apply(Command::Place(order(1, 2, SELL, YES, 40, 100)), &mut events),
        Err(CoreError::DuplicateOrder(hash(1)))
    );
    assert_eq!(
        m.apply(Command::Place(order(2, 2, SELL, YES, 40, 0)), &mut events),
        Err(CoreError::ZeroSize(hash(2)))
    );
    assert!(events.is_empty());
    assert_eq!(depth(&m, BookSide::Bid), vec![(40, 100)]);
}

#[test]
fn a_no_order_at_one_rests_at_zero_and_its_counterpart_executes_at_zero() {
    let mut m = market();
    // BUY NO at 1.00: an ask at 0.00, which any BUY YES mints against at 0.00.
    place(&mut m, order(1, 1, BUY, NO, 100, 100));
    let f = fills(&place(&mut m, order(2, 2, BUY, YES, 1, 100)))[0];
    assert_eq!((f.maker.price, f.taker.price), (Price::ONE, Price::ZERO));
    assert_eq!(
        (f.maker.collateral, f.taker.collateral),
        (wei(10_000), wei(0))
    );
}

#[test]
fn rounding_goes_against_each_order_and_the_remainder_to_the_fee_wallet() {
    // 2 decimals: a hundredth of a share is one base unit, at 0.55 it costs 0.55 of a unit.
    let two = Scale::new(2).expect("2 decimals");
    let order = |n, w, side, p, size| order_on(two, n, w, side, YES, p, size);
    let mut m = Market::new(two);
    place(&mut m, order(1, 1, SELL, 55, 3));
    let f = fills(&place(&mut m, order(2, 2, BUY, 55, 1)))[0];
    // The buyer pays ceil(0.55) = 1, the seller receives floor(0.55) = 0.
    assert_eq!((f.taker.collateral, f.maker.collateral), (wei(1), wei(0)));
    assert_eq!(f.rounding(), Rounding::ToFeeWallet(wei(1)));
    // The seller's second hundredth takes its total to floor(1.10) = 1; a new buyer pays 1.
    let f = fills(&place(&mut m, order(3, 3, BUY, 55, 1)))[0];
    assert_eq!((f.taker.collateral, f.maker.collateral), (wei(1), wei(1)));
    // The buyer that takes the last hundredth at 0.55 after a first at 0.55 pays
    // ceil(1.10) - ceil(0.55) = 1, the seller floor(1.65) - floor(1.10) = 0.
    place(&mut m, order(4, 4, SELL, 55, 1));
    let e = place(&mut m, order(5, 5, BUY, 55, 2));
    let paid: Vec<Wei> = fills(&e).iter().map(|f| f.taker.collateral).collect();
    // Order 5 pays ceil(0.55) then ceil(1.10) - 1: 2 in all, its reservation ceil(2 * 0.55).
    assert_eq!(paid, vec![wei(1), wei(1)]);
}

#[test]
fn a_buy_pays_its_fee_in_tokens_from_its_own_signed_price() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 55, 100));
    let f = fills(&place(
        &mut m,
        with_fee(order(2, 2, BUY, YES, 60, 100), 100),
    ))[0];
    // On its signed price 0.60, not the execution price 0.55: 1 share is 10000 tokens, and
    // 100 bps * min(0.60, 0.40) * 10000 / 0.60 = 66.6 tokens, rounded down.
    assert_eq!(f.taker.fee, wei(66));
    assert_eq!(f.taker.collateral, wei(5_500));
    // The seller's order has no fee.
    assert_eq!(f.maker.fee, Wei::ZERO);
}

#[test]
fn a_sell_pays_its_fee_in_collateral_from_its_own_signed_price() {
    let mut m = market();
    place(&mut m, order(1, 1, BUY, YES, 60, 100));
    let f = fills(&place(
        &mut m,
        with_fee(order(2, 2, SELL, YES, 40, 100), 100),
    ))[0];
    // It receives 0.60 a share, and pays 100 bps * min(0.40, 0.60) on 1 share at 4 decimals:
    // 40 base units of collateral.
    assert_eq!(f.taker.collateral, wei(6_000));
    assert_eq!(f.taker.fee, wei(40));
    assert_eq!(f.maker.fee, Wei::ZERO);
}

#[test]
fn both_sides_of_a_mint_pay_their_fee_in_their_own_tokens() {
    let mut m = market();
    place(&mut m, with_fee(order(1, 1, BUY, NO, 40, 100), 100));
    let f = fills(&place(
        &mut m,
        with_fee(order(2, 2, BUY, YES, 60, 100), 100),
    ))[0];
    assert_eq!(f.kind, MatchKind::Mint);
    // NO at 0.40: 100 bps * 0.40 * 10000 / 0.40 = 100; YES at 0.60: 66.
    assert_eq!((f.maker.fee, f.taker.fee), (wei(100), wei(66)));
}

#[test]
fn there_is_no_fee_at_a_zero_rate() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 30, 100));
    let f = fills(&place(&mut m, order(2, 2, BUY, YES, 70, 100)))[0];
    assert_eq!((f.maker.fee, f.taker.fee), (Wei::ZERO, Wei::ZERO));
}

#[test]
fn an_order_whose_signed_terms_are_not_its_price_and_size_is_refused() {
    let mut m = market();
    let o = order(1, 1, BUY, YES, 40, 100);
    let drifted = NewOrder {
        maker_amount: Wei(o.maker_amount.0 + U256::from(1u8)),
        ..o
    };
    let mut events = Vec::new();
    assert_eq!(
        m.apply(Command::Place(drifted), &mut events),
        Err(CoreError::InvalidTerms(hash(1)))
    );
    assert_eq!(
        m.apply(Command::Place(with_fee(o, 10_001)), &mut events),
        Err(CoreError::InvalidTerms(hash(1)))
    );
    assert!(events.is_empty());
    assert!(m.book().is_empty());
    place(&mut m, with_fee(o, 10_000));
    assert!(m.book().contains(&hash(1)));
}

#[test]
fn cancel_all_takes_every_order_off_oldest_first_as_market_closed() {
    let mut m = market();
    place(&mut m, order(1, 1, BUY, YES, 40, 100));
    place(&mut m, order(2, 2, SELL, NO, 45, 100));
    place(&mut m, order(3, 1, SELL, YES, 60, 100));
    place(&mut m, order(4, 3, BUY, YES, 40, 100));
    let e = run(&mut m, Command::CancelAll);
    assert_eq!(updated(&e), vec![hash(1), hash(2), hash(3), hash(4)]);
    for n in 1..=4 {
        let u = last_update(&e, n);
        assert_eq!(
            (u.status, u.reason),
            (OrderStatus::Cancelled, Some(CancelReason::MarketClosed))
        );
    }
    assert!(m.book().is_empty());
    assert_eq!(
        levels(&e),
        vec![
            (BookSide::Bid, 40, 0),
            (BookSide::Bid, 55, 0),
            (BookSide::Ask, 60, 0)
        ]
    );
}

#[test]
fn cancel_wallet_with_a_filter_takes_off_only_that_outcome_and_side() {
    let mut m = market();
    place(&mut m, order(1, 1, BUY, YES, 40, 100));
    place(&mut m, order(2, 1, SELL, NO, 45, 100));
    place(&mut m, order(3, 1, BUY, NO, 30, 100));
    place(&mut m, order(4, 2, BUY, YES, 41, 100));
    place(&mut m, order(5, 1, SELL, YES, 80, 100));
    // The order's own outcome and side, not its side of the YES-terms book.
    let e = run(&mut m, cancel_wallet(1, Some(NO), Some(BUY)));
    assert_eq!(updated(&e), vec![hash(3)]);
    let e = run(&mut m, cancel_wallet(1, None, Some(SELL)));
    assert_eq!(updated(&e), vec![hash(2), hash(5)]);
    let e = run(&mut m, cancel_wallet(1, Some(YES), None));
    assert_eq!(updated(&e), vec![hash(1)]);
    assert_eq!(m.book().len(), 1);
    assert!(m.book().contains(&hash(4)));
}

#[test]
fn a_restored_book_keeps_each_orders_place_and_rounding() {
    let mut m = market();
    place(&mut m, order(1, 1, SELL, YES, 55, 100));
    place(&mut m, order(2, 2, BUY, NO, 45, 100)); // an ask at 0.55, behind order 1
    place(&mut m, order(3, 3, SELL, YES, 55, 100));
    place(&mut m, order(4, 4, SELL, YES, 56, 100));
    place(&mut m, order(5, 5, BUY, YES, 55, 30));
    place(&mut m, order(6, 6, BUY, YES, 10, 100));
    run(&mut m, Command::Cancel(hash(6)));
    let mut saved: Vec<SavedOrder> = m.book().iter().map(SavedOrder::from).collect();
    saved.sort_by_key(|s| std::cmp::Reverse(s.priority));
    let (mut restored, refused) = Market::restore(four_decimals(), saved);
    assert!(refused.is_empty());
    assert_eq!(depth(&restored, BookSide::Ask), depth(&m, BookSide::Ask));
    let filled = restored
        .book()
        .get(&hash(1))
        .expect("order 1 restored")
        .filled;
    assert_eq!(filled.hundredths(), 30);
    // The next order rests after the largest restored priority (order 4's, 3).
    assert_eq!(restored.book().next_priority(), 4);
    let taker = order(7, 7, BUY, YES, 56, 400);
    let e = place(&mut restored, taker);
    let makers: Vec<OrderHash> = fills(&e).iter().map(|f| f.maker.order).collect();
    assert_eq!(makers, vec![hash(1), hash(2), hash(3), hash(4)]);
    assert_eq!(fills(&e), fills(&place(&mut m, taker)));
}

#[test]
fn restore_leaves_out_what_could_not_have_been_on_the_book() {
    let saved = |o: NewOrder, filled: u64, priority: u64| SavedOrder {
        order: o,
        filled: Size::from_hundredths(filled),
        notional: u128::from(filled) * u128::from(o.price.get()),
        priority,
    };
    let bid = order(1, 1, BUY, YES, 40, 100);
    let (m, refused) = Market::restore(
        four_decimals(),
        [
            saved(bid, 0, 0),
            saved(order(1, 2, BUY, YES, 30, 100), 0, 1),
            saved(order(2, 2, BUY, YES, 30, 100), 0, 0),
            saved(order(3, 2, BUY, YES, 30, 100), 101, 2),
            saved(order(4, 2, BUY, YES, 30, 100), 100, 3),
            saved(with_fee(order(5, 2, BUY, YES, 30, 100), 10_001), 0, 4),
            SavedOrder {
                notional: 31 * 10,
                ..saved(order(6, 2, BUY, YES, 30, 100), 10, 5)
            },
            saved(order(7, 2, SELL, YES, 40, 100), 0, 6),
            saved(order(8, 2, SELL, YES, 41, 100), 0, 7),
        ],
    );
    assert_eq!(
        refused,
        vec![
            RestoreError::DuplicatePriority(hash(2), 0),
            RestoreError::DuplicateOrder(hash(1)),
            RestoreError::OverFilled(hash(3)),
            RestoreError::NothingRemaining(hash(4)),
            RestoreError::InvalidTerms(hash(5)),
            RestoreError::Notional(hash(6)),
            RestoreError::Crosses(hash(7)),
        ]
    );
    assert_eq!(m.book().len(), 2);
    assert_eq!(m.book().next_priority(), 8);
}
