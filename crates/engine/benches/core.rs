//! Commands per second of the pure matching core on one thread.
//!
//! The mix, drawn from a fixed seed: six in ten commands place an order that rests within ten
//! levels of the middle, 15% place one priced up to six levels through the middle with 2 to
//! 21 shares, which sweeps several levels (a quarter of them `MARKET`; plain, mint and merge
//! alike, since YES and NO orders are drawn alike), and a quarter cancel an order still on the
//! book. Every order pays a fee of 100 bps, so each fill computes both sides' fees (a market
//! without fees skips that). Resting outpaces cancels and fills, so the book deepens to a few
//! hundred thousand orders: a harder case than a live market's. The commands are generated first, then replayed
//! on a fresh market and timed; the figure is compared with the target of 1,000,000
//! commands/s.
//!
//! Run: `cargo bench -p engine --bench core`.

use std::time::Instant;

use alloy_primitives::{Address, B256};
use engine::core::{Command, Event, Market, NewOrder, Scale};
use types::{OrderHash, OrderType, Outcome, Side, Size, Ticks, Wallet};

const COMMANDS: usize = 2_000_000;
const ROUNDS: usize = 5;
const TARGET: f64 = 1_000_000.0;
const FEE_RATE_BPS: u32 = 100;

/// xorshift64*: enough randomness for a workload, and the same workload on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn hash(n: u64) -> OrderHash {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&n.to_le_bytes());
    b[8..16].copy_from_slice(&n.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    OrderHash(B256::from(b))
}

fn apply(market: &mut Market, command: Command) {
    let mut events = Vec::new();
    // Hashes are unique and cancels name resting orders: nothing is refused.
    let _ = market.apply(command, &mut events);
}

fn workload() -> Vec<Command> {
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let wallets: Vec<Wallet> = (0..64u8)
        .map(|i| Wallet(Address::with_last_byte(i)))
        .collect();
    let mut placed: Vec<OrderHash> = Vec::new();
    let mut commands = Vec::with_capacity(COMMANDS);
    let mid: i64 = 50;
    // The workload is generated against a market of its own, so that cancels name resting
    // orders.
    let scale = Scale::new(18).expect("18 decimals");
    let mut scratch = Market::new(scale);
    while commands.len() < COMMANDS {
        let roll = rng.below(100);
        if roll < 25 {
            // An order still on the book: the ones that filled are dropped as they are drawn.
            while !placed.is_empty() {
                let i = rng.below(placed.len() as u64) as usize;
                let hash = placed.swap_remove(i);
                if scratch.book().contains(&hash) {
                    let command = Command::Cancel(hash);
                    apply(&mut scratch, command);
                    commands.push(command);
                    break;
                }
            }
            continue;
        }
        // In YES terms: a bid below the middle or an ask above it, or (a fifth of the time)
        // a taker priced a few levels through the middle.
        let bid = rng.below(2) == 0;
        let crossing = roll >= 85;
        let distance = if crossing {
            -(1 + rng.below(6) as i64)
        } else {
            1 + rng.below(10) as i64
        };
        let yes_price = if bid { mid - distance } else { mid + distance };
        let outcome = if rng.below(2) == 0 {
            Outcome::Yes
        } else {
            Outcome::No
        };
        // A bid is BUY YES or SELL NO; an ask SELL YES or BUY NO; NO prices are `1 - p`.
        let (side, own_price) = match (bid, outcome) {
            (true, Outcome::Yes) => (Side::Buy, yes_price),
            (false, Outcome::Yes) => (Side::Sell, yes_price),
            (true, Outcome::No) => (Side::Sell, 100 - yes_price),
            (false, Outcome::No) => (Side::Buy, 100 - yes_price),
        };
        let size = if crossing {
            100 * (2 + rng.below(20))
        } else {
            100 * (1 + rng.below(10))
        };
        let n = commands.len() as u64;
        let price = Ticks::new(own_price.clamp(1, 100) as u8).expect("clamped to 1..=100");
        let size = Size::from_hundredths(size);
        let (maker_amount, taker_amount) = scale.signed_amounts(side, price, size);
        let order = NewOrder {
            hash: hash(n),
            wallet: wallets[rng.below(wallets.len() as u64) as usize],
            outcome,
            side,
            price,
            size,
            order_type: if crossing && rng.below(4) == 0 {
                OrderType::Market
            } else {
                OrderType::Limit
            },
            maker_amount,
            taker_amount,
            fee_rate_bps: FEE_RATE_BPS,
        };
        placed.push(order.hash);
        apply(&mut scratch, Command::Place(order));
        commands.push(Command::Place(order));
    }
    commands
}

fn main() {
    let commands = workload();
    let mut best = f64::MAX;
    let mut fills = 0usize;
    let mut refused = 0usize;
    let mut resting = 0usize;
    for _ in 0..ROUNDS {
        let mut market = Market::new(Scale::new(18).expect("18 decimals"));
        let mut events: Vec<Event> = Vec::with_capacity(256);
        fills = 0;
        refused = 0;
        let start = Instant::now();
        for command in &commands {
            events.clear();
            if market.apply(*command, &mut events).is_err() {
                refused += 1;
            }
            fills += events
                .iter()
                .filter(|e| matches!(e, Event::Fill(_)))
                .count();
        }
        best = best.min(start.elapsed().as_secs_f64());
        resting = market.book().len();
    }
    let rate = commands.len() as f64 / best;
    println!(
        "core: {} commands ({} fills, {} refused, {} resting at the end), best of {ROUNDS}: \
         {:.0} commands/s, {:.2}x the target of {TARGET:.0}",
        commands.len(),
        fills,
        refused,
        resting,
        rate,
        rate / TARGET
    );
}
