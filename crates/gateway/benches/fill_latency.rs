//! The time from a crossing order's `POST /v1/orders` answer to its fill being listed by
//! `GET /v1/fills`, at a steady rate of crossing orders, on the embedded default (SQLite) and
//! on PostgreSQL: p50 and p99 against the targets (10 ms on SQLite, 20 ms on PostgreSQL).
//!
//! Each backend gets a fresh gateway binary in dev mode in a temp directory (PostgreSQL a fresh
//! schema, dropped afterwards) and two wallets, each with an API key: a maker credited YES
//! tokens and a taker credited collateral. The load is an open loop paced by the clock: pair
//! `i` is due `i / BENCH_RATE` seconds after the start; the maker places a SELL YES at 0.50
//! (the market's minimum size) and, once that is answered, the taker a BUY YES of the same
//! price and size: the crossing order, which fills in full against a resting SELL (the matcher
//! takes orders in acceptance order, so there is always one). `BENCH_SENDERS` connections take
//! the pairs in turn, so one slow answer delays no other pair; a pair whose connection is still
//! busy at its time goes late, and lateness is printed. Every order is signed before any clock
//! starts, the same set for both backends; every answer must be a 200 with the order `OPEN`.
//!
//! A watcher polls the taker's newest fills (`GET /v1/fills?limit=10`, following the cursor
//! while a page holds nothing seen before) every `BENCH_POLL_MS` milliseconds, back to back
//! when a poll takes longer, on a keep-alive connection of its own. A BUY's fill counts as
//! visible at the answer of the first poll that lists it, so each latency is an upper bound
//! that includes up to one poll period; the periods and the poll's round trip are printed
//! beside the figures. A fill listed before the bench had the order's own answer counts as 0.
//! Pairs due in the warm-up do not count; a measured BUY not accepted, or whose fill is never
//! listed, fails the run.
//!
//! Run with `cargo bench -p gateway --bench fill_latency`. Settings (environment):
//! `BENCH_RATE` (1000 crossing orders per second, so twice as many orders), `BENCH_SECS` (20,
//! measured per backend), `BENCH_WARMUP_SECS` (2), `BENCH_POLL_MS` (1), `BENCH_SENDERS` (16),
//! `BENCH_BACKENDS` (`sqlite,postgres`), `DATABASE_URL` (the PostgreSQL server; default
//! `postgres://postgres@127.0.0.1:5432/test`; a run skips PostgreSQL, and says so, when it is
//! unreachable). Run by `cargo test` (no `--bench` argument) it only checks that it works,
//! with a light and short load.

#[path = "common/backend.rs"]
mod backend;
mod common;
#[path = "fill_latency/pairs.rs"]
mod pairs;
#[path = "common/place.rs"]
mod place;
#[path = "common/wallets.rs"]
mod wallets;
#[path = "fill_latency/watch.rs"]
mod watch;

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::U256;
use client::{MarketInfo, OrderBuilder, OrderSpec};
use tokio::sync::oneshot;
use types::{OrderHash, Outcome, Side};

use backend::{machine_busy, print_log_tail, run_each, BackendKind, Database, Stored};
use common::{
    client_runtime, env_number, load_average, percentile_ms, smoke_run, CpuSource, GatewayProcess,
};
use pairs::{Answered, Heads, Schedule, Sent};
use wallets::{api_key, credit, fetch_market, wallet_key, ApiKey};
use watch::Seen;

/// The taker's and the maker's keys (`wallet_key`): the same wallets as order_intake's
/// crossing mode.
const TAKER: usize = 0;
const MAKER: usize = 1;
const PRICE: &str = "0.50";
const SIZE: &str = "5";

fn main() -> ExitCode {
    let smoke = smoke_run();
    let settings = if smoke {
        Settings::smoke()
    } else {
        Settings::from_env()
    };
    println!("{} (at the start)", load_average());
    println!(
        "fill_latency: {} crossing orders/s (a SELL then a BUY that fills it, paced, on {} \
         connections), fills polled every {:?}, {:?} warm-up, {:?} measured per backend",
        settings.rate, settings.senders, settings.poll, settings.warmup, settings.measured
    );

    let mut signed: Option<Arc<[Pair]>> = None;
    let (results, failed) = run_each(
        &settings.backends,
        |database| run_backend(&settings, database, &mut signed),
        Figures::clean,
    );

    println!("summary ({}):", load_average());
    for f in &results {
        let target = target_ms(f.backend);
        let verdict = if smoke {
            "not judged in a smoke run; use cargo bench"
        } else if f.percentile_ms(0.99) <= target {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "  {:<8} fill visible after the answer: p50 {:.1} ms  p99 {:.1} ms (target p99 <= {target:.0} ms: \
             {verdict})  polls every {:.1} ms (p50; p99 {:.1} ms)  {} crossing orders measured",
            f.backend.name(),
            f.percentile_ms(0.50),
            f.percentile_ms(0.99),
            percentile_ms(&f.seen.period_us, 0.50),
            percentile_ms(&f.seen.period_us, 0.99),
            f.latencies_us.len(),
        );
    }
    if failed || results.is_empty() {
        eprintln!("fill_latency: the run had errors, so its figures mean nothing");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The p99 target, in milliseconds.
fn target_ms(backend: BackendKind) -> f64 {
    match backend {
        BackendKind::Sqlite => 10.0,
        BackendKind::Postgres => 20.0,
    }
}

/// How hard and how long to push, from the environment.
struct Settings {
    /// Crossing orders (pairs) per second.
    rate: u64,
    warmup: Duration,
    measured: Duration,
    poll: Duration,
    senders: usize,
    backends: Vec<BackendKind>,
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            rate: env_number("BENCH_RATE", 1000).clamp(1, 20_000),
            warmup: Duration::from_secs(env_number("BENCH_WARMUP_SECS", 2)),
            measured: Duration::from_secs(env_number("BENCH_SECS", 20).max(1)),
            poll: Duration::from_millis(env_number("BENCH_POLL_MS", 1)),
            senders: env_number("BENCH_SENDERS", 16).clamp(1, 200) as usize,
            backends: BackendKind::from_env(),
        }
    }

    /// Enough to exercise every path of the bench, in about a second per backend.
    fn smoke() -> Settings {
        Settings {
            rate: 200,
            warmup: Duration::from_millis(200),
            measured: Duration::from_millis(800),
            poll: Duration::from_millis(1),
            senders: 4,
            backends: vec![BackendKind::Sqlite, BackendKind::Postgres],
        }
    }

    fn pairs(&self) -> usize {
        (self.rate as f64 * (self.warmup + self.measured).as_secs_f64()) as usize
    }

    fn schedule(&self, start: Instant) -> Schedule {
        Schedule {
            start,
            every: Duration::from_secs(1) / self.rate as u32,
            first_measured: (self.rate as f64 * self.warmup.as_secs_f64()) as usize,
        }
    }
}

/// One pair: the maker's SELL and the taker's BUY that fills it.
pub(crate) struct Pair {
    sell: SignedOne,
    buy: SignedOne,
}

/// A request of one signed order: its body, and what its answer must carry.
pub(crate) struct SignedOne {
    body: Vec<u8>,
    needle: Vec<u8>,
    hash: OrderHash,
}

/// Signs every pair: the SELLs on one thread, the BUYs on another.
fn sign_pairs(market: &MarketInfo, pairs: usize) -> Arc<[Pair]> {
    let started = Instant::now();
    let sign = |wallet: usize, side: Side| -> Vec<SignedOne> {
        let key = wallet_key(wallet);
        let builder = OrderBuilder::new(&key, market);
        let spec = OrderSpec::limit(
            Outcome::Yes,
            side,
            PRICE.parse().expect("a price"),
            SIZE.parse().expect("a size"),
        );
        (0..pairs)
            .map(|i| {
                let salt = U256::from(wallet as u64 + 1) << 128 | U256::from(i as u64);
                let order = builder.build_with_salt(&spec, salt).expect("sign an order");
                SignedOne {
                    body: place::body(std::slice::from_ref(&order)),
                    needle: place::needle(&order.hash),
                    hash: order.hash,
                }
            })
            .collect()
    };
    let (sells, buys) = std::thread::scope(|s| {
        let sells = s.spawn(|| sign(MAKER, Side::Sell));
        let buys = sign(TAKER, Side::Buy);
        (sells.join().expect("the SELLs signed"), buys)
    });
    println!(
        "signed {pairs} pairs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    sells
        .into_iter()
        .zip(buys)
        .map(|(sell, buy)| Pair { sell, buy })
        .collect()
}

/// One backend's figures.
struct Figures {
    backend: BackendKind,
    /// From each measured BUY's answer to the first poll answer that listed its fill, sorted.
    latencies_us: Vec<u32>,
    /// Measured fills listed before the bench had the order's answer (counted as 0).
    before_answer: usize,
    /// Measured BUYs accepted whose fill no poll listed.
    unseen: usize,
    sent: Sent,
    seen: Seen,
    gateway_cpu: Option<Duration>,
    machine_cpu: Option<Duration>,
    measured: Duration,
    stored: Option<Stored>,
}

impl Figures {
    fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }

    fn clean(&self) -> bool {
        let pairs = self.sent.answered.len() as i64;
        self.sent.errors == 0
            && self.sent.lost == 0
            && self.unseen == 0
            && !self.latencies_us.is_empty()
            && self
                .stored
                .as_ref()
                .is_some_and(|s| s.orders() == 2 * pairs && s.fills == 2 * pairs)
    }
}

fn run_backend(
    settings: &Settings,
    database: &Database,
    signed: &mut Option<Arc<[Pair]>>,
) -> Result<Figures, String> {
    let name = database.kind.name();
    let gateway = database.start_gateway(&[]);
    let runtime = client_runtime();
    let http = reqwest::Client::new();
    let base = format!("http://{}", gateway.addr);
    let market = runtime.block_on(fetch_market(&http, &base))?;
    let pairs = signed
        .get_or_insert_with(|| sign_pairs(&market, settings.pairs()))
        .clone();
    println!(
        "{name}: gateway pid {}, {}; {}",
        gateway.child.id(),
        runtime.block_on(database.durability(&gateway)),
        load_average()
    );
    let (maker, taker) = runtime
        .block_on(wallets(&http, &gateway, &market))
        .map_err(|e| format!("{e}\n{}", gateway.log()))?;
    let heads = Arc::new(Heads {
        maker: place::head(gateway.addr, &maker),
        taker: place::head(gateway.addr, &taker),
    });

    let gateway_cpu = CpuSource::Process(gateway.child.id());
    let (sent, seen, cpu) = runtime.block_on(async {
        // Time to open the connections before the first pair is due.
        let schedule = settings.schedule(Instant::now() + Duration::from_millis(50));
        let (expected_tx, expected) = oneshot::channel();
        let watcher = tokio::spawn(watch::watch(
            gateway.addr,
            taker.headers(),
            settings.poll,
            expected,
        ));
        let window = schedule.due(schedule.first_measured);
        let cpu = tokio::spawn(cpu_in_window(
            gateway_cpu,
            window,
            window + settings.measured,
        ));
        let senders: Vec<_> = (0..settings.senders)
            .map(|k| {
                tokio::spawn(pairs::send(
                    k,
                    settings.senders,
                    pairs.clone(),
                    heads.clone(),
                    gateway.addr,
                    schedule,
                ))
            })
            .collect();
        let mut sent = Sent::default();
        for sender in senders {
            sent.merge(sender.await.expect("a sender panicked"));
        }
        let measured: HashSet<OrderHash> = sent
            .answered
            .iter()
            .filter(|a| a.measured)
            .map(|a| a.buy)
            .collect();
        // The watcher may have stopped on an error already.
        let _ = expected_tx.send(measured);
        let seen = watcher.await.expect("the watcher panicked");
        let cpu = cpu.await.expect("the CPU reader panicked");
        (sent, seen, cpu)
    });
    let seen = seen?;
    let mut figures = figures(database.kind, sent, seen, settings.measured);
    (figures.gateway_cpu, figures.machine_cpu) = cpu;
    let stored = runtime
        .block_on(database.stored(&gateway))
        .map_err(|e| format!("reading the stored orders: {e}"))?;
    figures.stored = Some(stored);
    report(&figures);
    if !figures.clean() {
        print_log_tail(&gateway);
    }
    Ok(figures)
}

/// The maker's and the taker's API keys, the maker credited YES tokens, the taker collateral.
async fn wallets(
    http: &reqwest::Client,
    gateway: &GatewayProcess,
    market: &MarketInfo,
) -> Result<(ApiKey, ApiKey), String> {
    let base = format!("http://{}", gateway.addr);
    let yes_token = market
        .token(Outcome::Yes)
        .ok_or("the demo market has no YES token")?
        .token_id
        .to_string();
    let mut keys = Vec::new();
    for (wallet, asset) in [(MAKER, yes_token.as_str()), (TAKER, "collateral")] {
        let key = wallet_key(wallet);
        keys.push(api_key(http, &base, gateway, &key, &format!("bench-{wallet}")).await?);
        credit(http, &base, &key, asset).await?;
    }
    let taker = keys.pop().expect("two keys");
    let maker = keys.pop().expect("two keys");
    Ok((maker, taker))
}

/// The gateway's and the machine's CPU time between `from` and `to`.
async fn cpu_in_window(
    gateway: CpuSource,
    from: Instant,
    to: Instant,
) -> (Option<Duration>, Option<Duration>) {
    tokio::time::sleep_until(from.into()).await;
    let before = (gateway.used(), CpuSource::Machine.used());
    tokio::time::sleep_until(to.into()).await;
    let diff = |a: Option<Duration>, b: Option<Duration>| a.zip(b).map(|(a, b)| a - b);
    (
        diff(gateway.used(), before.0),
        diff(CpuSource::Machine.used(), before.1),
    )
}

/// Each measured BUY's latency, from its answer to the first listing of its fill.
fn figures(backend: BackendKind, mut sent: Sent, mut seen: Seen, measured: Duration) -> Figures {
    let (mut latencies_us, mut before_answer, mut unseen) = (Vec::new(), 0, 0);
    for Answered { buy, at, .. } in sent.answered.iter().filter(|a| a.measured) {
        match seen.first_listed.get(buy) {
            Some(listed) if listed < at => {
                before_answer += 1;
                latencies_us.push(0);
            }
            Some(listed) => latencies_us.push(pairs::micros(*listed - *at)),
            None => unseen += 1,
        }
    }
    for figures in [
        &mut latencies_us,
        &mut sent.late_us,
        &mut sent.post_us,
        &mut seen.period_us,
        &mut seen.round_trip_us,
    ] {
        figures.sort_unstable();
    }
    Figures {
        backend,
        latencies_us,
        before_answer,
        unseen,
        sent,
        seen,
        gateway_cpu: None,
        machine_cpu: None,
        measured,
        stored: None,
    }
}

fn report(f: &Figures) {
    let name = f.backend.name();
    let ms = |v: &[u32], p: f64| percentile_ms(v, p);
    let (late, post) = (&f.sent.late_us, &f.sent.post_us);
    let (period, round_trip) = (&f.seen.period_us, &f.seen.round_trip_us);
    let v = &f.latencies_us;
    println!(
        "  {name:<8} visible  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  p99.9 {:.2} ms  max {:.2} ms \
         (target p99 <= {:.0} ms); {} crossing orders, {} listed before their answer, {} never listed",
        ms(v, 0.50),
        ms(v, 0.90),
        ms(v, 0.99),
        ms(v, 0.999),
        ms(v, 1.0),
        target_ms(f.backend),
        v.len(),
        f.before_answer,
        f.unseen,
    );
    println!(
        "  {name:<8} polls    {} pages; answer to answer p50 {:.2} ms  p99 {:.2} ms; round trip p50 {:.2} ms  p99 {:.2} ms \
         (each latency includes up to one period)",
        f.seen.pages,
        ms(period, 0.50),
        ms(period, 0.99),
        ms(round_trip, 0.50),
        ms(round_trip, 0.99),
    );
    println!(
        "  {name:<8} POST     answer p50 {:.2} ms  p99 {:.2} ms; sent late by p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        ms(post, 0.50),
        ms(post, 0.99),
        ms(late, 0.50),
        ms(late, 0.99),
        ms(late, 1.0),
    );
    let per_pair = |cpu: Option<Duration>| match cpu {
        Some(cpu) if !v.is_empty() => format!("{:.0} us", cpu.as_secs_f64() * 1e6 / v.len() as f64),
        _ => "unknown".to_owned(),
    };
    let busy = machine_busy(f.machine_cpu, f.measured);
    println!(
        "  {name:<8} CPU      per crossing pair: gateway {}, whole machine {}; machine busy {busy}",
        per_pair(f.gateway_cpu),
        per_pair(f.machine_cpu),
    );
    if let Some(stored) = &f.stored {
        println!(
            "  {name:<8} stored   {stored} (every pair sent: 2 orders FILLED, 2 fills; {} pairs)",
            f.sent.answered.len()
        );
    }
    println!(
        "  {name:<8} errors   {} (measured pairs lost: {}){}",
        f.sent.errors,
        f.sent.lost,
        f.sent
            .first_error
            .as_ref()
            .map_or(String::new(), |e| format!("; first: {e}")),
    );
}
