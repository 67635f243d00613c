//! The time from a crossing order's `POST /v1/orders` answer to its fill being listed by
//! `GET /v1/fills`, at a steady rate of crossing orders, on the embedded default (SQLite) and
//! on PostgreSQL: p50 and p99 against the targets (10 ms on SQLite, 20 ms on PostgreSQL).
//!
//! Each backend gets a fresh gateway binary in dev mode in a temp directory (PostgreSQL a fresh
//! schema, dropped afterwards) and two wallets, each with an API key: a maker credited YES
//! tokens and a taker credited collateral. Every order is a YES order at 0.50 of the market's
//! minimum size. The taker's BUYs are the crossing orders, one per request, in an open loop
//! paced by the clock: BUY `i` is due `i / BENCH_RATE` seconds after the start, whatever the
//! answers do. `BENCH_SENDERS` connections take them in turn, so one slow answer delays no
//! other; a BUY whose connection is still busy at its time goes late, and lateness is printed.
//!
//! The maker keeps SELLs resting ahead of the BUYs, the way a market maker quotes: before the
//! clock starts it rests `SEED_REQUESTS` requests of 15 SELLs, then sends its next 15 (on
//! `MAKER_CONNECTIONS` connections of its own, in turn) when the first BUY they are for is due.
//! So every BUY fills in full against a resting SELL as the taker; a BUY that rests instead
//! (the gateway fell so far behind that the maker's SELLs came late) is counted and printed,
//! with the rate at which the crossing orders were answered. Every order is signed before any
//! clock starts, the same set for both backends; every answer must be a 200 with each order
//! `OPEN`.
//!
//! A watcher polls the taker's newest fills (`GET /v1/fills?limit=10`, following the cursor
//! while a page holds nothing seen before) every `BENCH_POLL_MS` milliseconds, back to back
//! when a poll takes longer, on a keep-alive connection of its own. A BUY's fill counts as
//! visible at the answer of the first poll that lists it, so each latency is an upper bound
//! that includes up to one poll period; the periods and the poll's round trip are printed
//! beside the figures. A fill listed before the bench had the order's own answer counts as 0.
//! BUYs due in the warm-up do not count; a measured BUY not accepted, or whose fill is never
//! listed, fails the run.
//!
//! Run with `cargo bench -p gateway --bench fill_latency`. Settings (environment):
//! `BENCH_RATE` (1000 crossing orders per second), `BENCH_SECS` (20, measured per backend),
//! `BENCH_WARMUP_SECS` (2), `BENCH_POLL_MS` (1), `BENCH_SENDERS` (16),
//! `BENCH_BACKENDS` (`sqlite,postgres`), `DATABASE_URL` (the PostgreSQL server; default
//! `postgres://postgres@127.0.0.1:5432/test`; a run skips PostgreSQL, and says so, when it is
//! unreachable). Run by `cargo test` (no `--bench` argument) it only checks that it works,
//! with a light and short load.

#[path = "common/backend.rs"]
mod backend;
mod common;
#[path = "fill_latency/load.rs"]
mod load;
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
use common::{client_runtime, env_number, load_average, percentile_ms, smoke_run, CpuSource};
use load::{Answered, Heads, Request, Schedule, Sent};
use wallets::{fetch_market, trader, wallet_key};
use watch::Seen;

/// The taker's and the maker's keys (`wallet_key`): the same wallets as order_intake's
/// crossing mode.
const TAKER: usize = 0;
const MAKER: usize = 1;
const PRICE: &str = "0.50";
const SIZE: &str = "5";
/// SELLs per maker request (the most one request may carry, docs/api.md 6.1).
const SELLS_PER_REQUEST: usize = 15;
/// The maker's connections: a request of 15 SELLs can take longer to answer than the time
/// between two of them.
const MAKER_CONNECTIONS: usize = 4;
/// Maker requests resting before the clock starts: the crossing orders of this many
/// requests' worth of time could come with the maker's next request late.
const SEED_REQUESTS: usize = 10;

fn main() -> ExitCode {
    let smoke = smoke_run();
    let settings = if smoke {
        Settings::smoke()
    } else {
        Settings::from_env()
    };
    println!("{} (at the start)", load_average());
    println!(
        "fill_latency: {} crossing orders/s (a BUY per request, paced, on {} connections; the \
         maker's SELLs {SELLS_PER_REQUEST} per request ahead of them), fills polled every {:?}, \
         {:?} warm-up, {:?} measured per backend",
        settings.rate, settings.senders, settings.poll, settings.warmup, settings.measured
    );

    let mut signed: Option<Arc<Signed>> = None;
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
             {verdict})  polls every {:.1} ms (p50; p99 {:.1} ms)  {} crossing orders measured, \
             answered at {:.0}/s of {} paced",
            f.backend.name(),
            f.percentile_ms(0.50),
            f.percentile_ms(0.99),
            percentile_ms(&f.seen.period_us, 0.50),
            percentile_ms(&f.seen.period_us, 0.99),
            f.latencies_us.len(),
            f.answered_rate,
            f.rate,
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
    /// Crossing orders per second.
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

    /// Crossing orders in a run, warm-up included.
    fn crossing(&self) -> usize {
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

/// Every order of a run, signed before any clock starts.
pub(crate) struct Signed {
    /// The maker's requests, `SELLS_PER_REQUEST` SELLs each: the seed, then one for each
    /// `SELLS_PER_REQUEST` crossing orders.
    sells: Vec<Request>,
    /// The crossing orders, one per request.
    buys: Vec<Request>,
}

/// Signs `crossing` BUYs of the taker and the SELLs they fill, on two threads.
fn sign(market: &MarketInfo, crossing: usize) -> Signed {
    let started = Instant::now();
    let sign = |wallet: usize, side: Side, requests: usize, per_request: usize| -> Vec<Request> {
        let key = wallet_key(wallet);
        let builder = OrderBuilder::new(&key, market);
        let spec = OrderSpec::limit(
            Outcome::Yes,
            side,
            PRICE.parse().expect("a price"),
            SIZE.parse().expect("a size"),
        );
        (0..requests)
            .map(|r| {
                let orders: Vec<_> = (0..per_request)
                    .map(|i| {
                        let n = (r * per_request + i) as u64;
                        let salt = U256::from(wallet as u64 + 1) << 128 | U256::from(n);
                        builder.build_with_salt(&spec, salt).expect("sign an order")
                    })
                    .collect();
                Request {
                    body: place::body(&orders),
                    needles: orders.iter().map(|o| place::needle(&o.hash)).collect(),
                    hash: orders[0].hash,
                }
            })
            .collect()
    };
    let sell_requests = SEED_REQUESTS + crossing.div_ceil(SELLS_PER_REQUEST);
    let (sells, buys) = std::thread::scope(|s| {
        let sells = s.spawn(|| sign(MAKER, Side::Sell, sell_requests, SELLS_PER_REQUEST));
        let buys = sign(TAKER, Side::Buy, crossing, 1);
        (sells.join().expect("the SELLs signed"), buys)
    });
    println!(
        "signed {crossing} BUYs and {} SELLs in {:.1} s",
        sell_requests * SELLS_PER_REQUEST,
        started.elapsed().as_secs_f64()
    );
    Signed { sells, buys }
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
    /// SELLs the maker sent, seed included.
    sells: usize,
    /// Measured crossing orders answered per second, from the first one's time to the last
    /// answer, against the paced rate.
    answered_rate: f64,
    rate: u64,
    stored: Option<Stored>,
}

impl Figures {
    fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }

    /// No error, every measured BUY's fill listed, and the rows to match: every order sent
    /// stored and every BUY filled (two fills each, the maker's and its own). A BUY that
    /// rested is no error of the bench: the gateway fell behind the rate (it is printed).
    fn clean(&self) -> bool {
        let buys = self.sent.answered.len() as i64;
        self.sent.errors == 0
            && self.sent.lost == 0
            && self.unseen == 0
            && !self.latencies_us.is_empty()
            && self
                .stored
                .as_ref()
                .is_some_and(|s| s.orders() == buys + self.sells as i64 && s.fills == 2 * buys)
    }
}

fn run_backend(
    settings: &Settings,
    database: &Database,
    signed: &mut Option<Arc<Signed>>,
) -> Result<Figures, String> {
    let name = database.kind.name();
    let gateway = database.start_gateway(&[]);
    let runtime = client_runtime();
    let http = reqwest::Client::new();
    let base = format!("http://{}", gateway.addr);
    let market = runtime.block_on(fetch_market(&http, &base))?;
    let signed = signed
        .get_or_insert_with(|| Arc::new(sign(&market, settings.crossing())))
        .clone();
    println!(
        "{name}: gateway pid {}, {}; {}",
        gateway.child.id(),
        runtime.block_on(database.durability(&gateway)),
        load_average()
    );
    let trader = |wallet: usize, side: Side, name: &str| {
        runtime
            .block_on(trader(
                &http,
                &gateway,
                &market,
                &wallet_key(wallet),
                side,
                name,
            ))
            .map_err(|e| format!("{e}\n{}", gateway.log()))
    };
    let maker = trader(MAKER, Side::Sell, "bench-maker")?;
    let taker = trader(TAKER, Side::Buy, "bench-taker")?;
    let heads = Arc::new(Heads {
        maker: place::head(gateway.addr, &maker),
        taker: place::head(gateway.addr, &taker),
    });
    runtime
        .block_on(load::seed(&signed, SEED_REQUESTS, &heads, gateway.addr))
        .map_err(|e| format!("resting the maker's first SELLs: {e}"))?;

    let gateway_cpu = CpuSource::Process(gateway.child.id());
    let (sent, seen, cpu, window) = runtime.block_on(async {
        // Time to open the connections before the first BUY is due.
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
        let makers: Vec<_> = (0..MAKER_CONNECTIONS)
            .map(|k| {
                tokio::spawn(load::make(
                    k,
                    MAKER_CONNECTIONS,
                    signed.clone(),
                    SEED_REQUESTS,
                    heads.clone(),
                    gateway.addr,
                    schedule,
                ))
            })
            .collect();
        let takers: Vec<_> = (0..settings.senders)
            .map(|k| {
                tokio::spawn(load::take(
                    k,
                    settings.senders,
                    signed.clone(),
                    heads.clone(),
                    gateway.addr,
                    schedule,
                ))
            })
            .collect();
        let mut sent = Sent::default();
        for sender in makers.into_iter().chain(takers) {
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
        (sent, seen, cpu, window)
    });
    let seen = seen?;
    let answered_rate = answered_rate(&sent, window);
    let mut figures = figures(database.kind, sent, seen, settings.measured);
    (figures.answered_rate, figures.rate) = (answered_rate, settings.rate);
    figures.sells = signed.sells.len() * SELLS_PER_REQUEST;
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

/// Measured crossing orders answered per second, from `window` (when the first was due).
fn answered_rate(sent: &Sent, window: Instant) -> f64 {
    let measured = sent.answered.iter().filter(|a| a.measured);
    let last = measured.clone().map(|a| a.at).max();
    match last {
        Some(last) if last > window => measured.count() as f64 / (last - window).as_secs_f64(),
        _ => 0.0,
    }
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
            Some(listed) => latencies_us.push(load::micros(*listed - *at)),
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
        sells: 0,
        answered_rate: 0.0,
        rate: 0,
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
         (target p99 <= {:.0} ms); {} crossing orders, {} listed before their answer, {} never listed, \
         {} filled as the maker",
        ms(v, 0.50),
        ms(v, 0.90),
        ms(v, 0.99),
        ms(v, 0.999),
        ms(v, 1.0),
        target_ms(f.backend),
        v.len(),
        f.before_answer,
        f.unseen,
        f.seen.rested.len(),
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
        "  {name:<8} POST     BUY answer p50 {:.2} ms  p99 {:.2} ms; sent late by p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms; \
         the maker's SELLs late by {:.2} ms at most; {:.0} crossing orders answered per second (paced at {})",
        ms(post, 0.50),
        ms(post, 0.99),
        ms(late, 0.50),
        ms(late, 0.99),
        ms(late, 1.0),
        f.sent.maker_late.as_secs_f64() * 1e3,
        f.answered_rate,
        f.rate,
    );
    if !f.seen.rested.is_empty() {
        println!(
            "  {name:<8} BEHIND   {} BUYs rested and filled as the maker: the gateway did not keep up with {} crossing orders/s",
            f.seen.rested.len(),
            f.rate,
        );
    }
    let per_crossing = |cpu: Option<Duration>| match cpu {
        Some(cpu) if !v.is_empty() => format!("{:.0} us", cpu.as_secs_f64() * 1e6 / v.len() as f64),
        _ => "unknown".to_owned(),
    };
    let busy = machine_busy(f.machine_cpu, f.measured);
    println!(
        "  {name:<8} CPU      per crossing order (with its SELL and the polls): gateway {}, whole machine {}; machine busy {busy}",
        per_crossing(f.gateway_cpu),
        per_crossing(f.machine_cpu),
    );
    if let Some(stored) = &f.stored {
        println!(
            "  {name:<8} stored   {stored} (of {} BUYs and {} SELLs sent: every BUY FILLED, two fills each)",
            f.sent.answered.len(),
            f.sells,
        );
    }
    println!(
        "  {name:<8} errors   {} (measured crossing orders lost: {}){}",
        f.sent.errors,
        f.sent.lost,
        f.sent
            .first_error
            .as_ref()
            .map_or(String::new(), |e| format!("; first: {e}")),
    );
}
