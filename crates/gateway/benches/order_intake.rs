//! Orders accepted per second through `POST /v1/orders`, on the embedded default (SQLite) and
//! on PostgreSQL, against the ceiling of the work every order needs whatever the server does
//! around it: EIP-712 digest plus signer recovery on two threads, measured in the same run.
//!
//! The ratio is the figure to watch. Each backend gets a fresh gateway binary in dev mode in a
//! temp directory; PostgreSQL gets a fresh schema (`test_support::PgSchema`), dropped
//! afterwards, so earlier runs' rows never interfere. `BENCH_CLIENTS` clients each have an API
//! key with `read` + `trade`, enough of what their orders reserve, and one keep-alive HTTP/1.1
//! connection on which each sends its next batch of 15 orders as soon as the last response is
//! in. Every order is signed (unique salt) before any clock starts; the same signed set serves
//! both backends, each of which starts from an empty database. The matching engine runs in
//! both modes:
//!
//! - **Intake** (the default; target: half the ceiling): each client has a wallet of its own
//!   (its own balance row, so reservations do not all contend on one), and every order is a
//!   BUY YES at one price, so nothing trades: every order rests on the book.
//! - **Crossing** (`BENCH_CROSSING=1`; target: 0.4 of the ceiling): two wallets whose orders
//!   cross: every other client sends BUY YES orders of the first wallet, the rest SELL YES
//!   orders of the second (credited YES tokens) at the same price and size, so most orders
//!   trade in full, each fill moving tokens and collateral and paying the market's fee.
//!
//! Every response must be a 200 whose results are, item for item, the batch's own order hashes,
//! all `OPEN` (matching is asynchronous); afterwards the orders table must hold exactly as many
//! rows as were accepted, and every order sent must have been accepted. A run with any failure
//! exits non-zero. The gateway acknowledges an order only after the COMMIT that stores it
//! (SQLite `synchronous = FULL`; PostgreSQL's `fsync` and `synchronous_commit` are printed).
//!
//! Intake that outruns matching is not a pass: after each gateway round the bench waits until
//! the matcher has processed every accepted order (the last order each client had accepted is
//! filled or resting: `GET /v1/orders/{hash}`, polled every millisecond; the matcher takes
//! orders in acceptance order, so that covers every earlier one) and prints that backlog, the
//! time from the round's last answer to the moment every order was processed. The pipeline
//! ratio counts it: orders accepted in the measured windows over the windows plus their
//! backlogs, against the ceiling; the verdict is on that figure. The stored orders by status
//! and the fills are printed at the end.
//!
//! The measured time is split into rounds that alternate between the gateway and the ceiling,
//! so other work on the machine weighs on both alike; the load average is printed. The ceiling
//! round after a gateway round starts only once the matcher is idle.
//!
//! Run with `cargo bench -p gateway --bench order_intake` (intake) or `BENCH_CROSSING=1 cargo
//! bench -p gateway --bench order_intake` (crossing). Settings (environment): `BENCH_CLIENTS`
//! (8), `BENCH_WARMUP_SECS` (1), `BENCH_SECS` (5, per backend, and as long again for the
//! ceiling), `BENCH_ROUNDS` (5), `BENCH_ORDERS` (orders to pre-sign; default: what the ceiling
//! could verify in the whole load time, plus a margin), `BENCH_BACKENDS` (`sqlite,postgres`),
//! `BENCH_FILL_ORDERS` (the gateway's `FS_ACCEPTANCE_FILL_ORDERS`; default: the gateway's
//! default), `DATABASE_URL` (the PostgreSQL server; default
//! `postgres://postgres@127.0.0.1:5432/test`). Run by `cargo test` (no `--bench` argument) it
//! only checks that it works, with a light and short load (crossing with `BENCH_CROSSING=1`).

#[path = "common/backend.rs"]
mod backend;
#[path = "order_intake/backlog.rs"]
mod backlog;
#[path = "order_intake/ceiling.rs"]
mod ceiling;
mod common;
#[path = "order_intake/load.rs"]
mod load;
#[path = "common/place.rs"]
mod place;
#[path = "common/wallets.rs"]
mod wallets;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::U256;
use client::{MarketInfo, OrderBuilder, OrderSpec, SignedOrder};
use serde_json::Value;
use signing::eip712::DomainCache;
use types::{OrderHash, Outcome, Side};

use backend::{machine_busy, print_log_tail, run_each, BackendKind, Database, Stored};
use ceiling::{item_to_verifiable, measure_ceiling, Verifiable};
use common::{
    client_runtime, env_number, load_average, percentile_ms, smoke_run, Connection, CpuSource,
    GatewayProcess,
};
use load::load;
use wallets::{fetch_market, trader, wallet_key, ApiKey};

/// The most orders one request may carry (docs/api.md 6.1): every request carries this many.
const ORDERS_PER_REQUEST: usize = 15;
/// The demo market's minimum size; every order is at this price, so a BUY and a SELL cross.
const PRICE: &str = "0.50";
const SIZE: &str = "5";
/// Orders the ceiling cycles through (taken from the signed set).
const CEILING_SAMPLE: usize = 2_000;
/// Each gateway round starts with this long whose responses do not count, to refill the pipe.
const ROUND_SETTLE: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    let smoke = smoke_run();
    let settings = if smoke {
        Settings::smoke()
    } else {
        Settings::from_env()
    };
    println!("{} (at the start)", load_average());
    println!(
        "order_intake ({}): POST /v1/orders, {} clients ({}, an API key and a keep-alive \
         connection each), {ORDERS_PER_REQUEST} orders per request, {:?} warm-up, {:?} measured \
         per backend in {} rounds alternating with as long of the ceiling",
        settings.mode(),
        settings.clients,
        if settings.crossing {
            "two wallets whose orders cross"
        } else {
            "a wallet"
        },
        settings.warmup,
        settings.measured,
        settings.rounds
    );

    let mut signed: Option<SignedSet> = None;
    let (results, failed) = run_each(
        &settings.backends,
        |database| run_backend(&settings, database, &mut signed),
        Figures::clean,
    );

    let target = settings.target_ratio();
    println!("summary, {} ({}):", settings.mode(), load_average());
    for f in &results {
        let verdict = if smoke {
            "not judged in a smoke run; use cargo bench"
        } else if f.pipeline_ratio() >= target {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "  {:<8} ceiling {:>6.0} orders/s (2 threads)  gateway {:>6.0} orders/s  ratio {:.2}, \
             with the matcher's backlog {:.2} (target >= {target:.2}: {verdict})  backlog max {:.1} ms  \
             p50 {:.1} ms  p99 {:.1} ms  accepted {}/{} sent",
            f.backend,
            f.ceiling,
            f.gateway.per_second(),
            f.ratio(),
            f.pipeline_ratio(),
            f.backlogs.iter().max().map_or(f64::NAN, |b| b.as_secs_f64() * 1e3),
            f.gateway.percentile_ms(0.50),
            f.gateway.percentile_ms(0.99),
            f.gateway.accepted_total,
            f.gateway.sent,
        );
    }
    if failed || results.is_empty() {
        eprintln!("order_intake: the run had errors, so its figures mean nothing");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// How hard and how long to push, from the environment.
struct Settings {
    clients: usize,
    warmup: Duration,
    measured: Duration,
    rounds: u32,
    /// Orders to sign in advance; 0: estimated from the ceiling.
    orders: usize,
    backends: Vec<BackendKind>,
    /// The gateway's `FS_ACCEPTANCE_FILL_ORDERS`; `None`: its default.
    fill_orders: Option<String>,
    /// Two wallets whose orders cross, rather than a wallet per client buying.
    crossing: bool,
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            clients: env_number("BENCH_CLIENTS", 8).clamp(1, 25) as usize,
            warmup: Duration::from_secs(env_number("BENCH_WARMUP_SECS", 1)),
            measured: Duration::from_secs(env_number("BENCH_SECS", 5).max(1)),
            rounds: env_number("BENCH_ROUNDS", 5).clamp(1, 100) as u32,
            orders: env_number("BENCH_ORDERS", 0) as usize,
            backends: BackendKind::from_env(),
            fill_orders: std::env::var("BENCH_FILL_ORDERS").ok(),
            crossing: env_number("BENCH_CROSSING", 0) != 0,
        }
    }

    /// Enough to exercise every path of the bench, in about a second of load per backend.
    fn smoke() -> Settings {
        Settings {
            clients: 2,
            warmup: Duration::from_millis(100),
            measured: Duration::from_millis(400),
            rounds: 2,
            orders: 0,
            backends: vec![BackendKind::Sqlite, BackendKind::Postgres],
            fill_orders: None,
            crossing: env_number("BENCH_CROSSING", 0) != 0,
        }
    }

    fn mode(&self) -> &'static str {
        if self.crossing {
            "crossing"
        } else {
            "intake"
        }
    }

    /// The ratio to the ceiling the issues ask for: intake alone, and with most orders trading.
    fn target_ratio(&self) -> f64 {
        if self.crossing {
            0.4
        } else {
            0.5
        }
    }

    /// Client `c`'s wallet and side: a wallet of its own buying; crossing, the even clients
    /// buy for wallet 0 and the odd ones sell for wallet 1, so a BUY only ever meets a SELL
    /// of the other wallet (never a self-trade).
    fn role(&self, c: usize) -> Role {
        match (self.crossing, c % 2) {
            (false, _) => Role {
                wallet: c,
                side: Side::Buy,
            },
            (true, 0) => Role {
                wallet: 0,
                side: Side::Buy,
            },
            (true, _) => Role {
                wallet: 1,
                side: Side::Sell,
            },
        }
    }

    /// How long the gateway is loaded per backend, warm-up and settling included.
    fn load_time(&self) -> Duration {
        self.warmup + self.measured + ROUND_SETTLE * self.rounds
    }
}

/// Whose orders a client sends (the index of its wallet's key), and on which side.
#[derive(Clone, Copy)]
struct Role {
    wallet: usize,
    side: Side,
}

/// The orders every backend receives, signed once before any clock starts.
struct SignedSet {
    market: MarketInfo,
    /// Per client: its role and its batches, in sending order.
    clients: Vec<(Role, Arc<[Batch]>)>,
    /// A sample of the set for the ceiling, each with its signer.
    ceiling: Vec<Verifiable>,
    orders: usize,
}

/// One request's orders: the JSON body and, in item order, what each result must carry.
struct Batch {
    body: Vec<u8>,
    /// `"order_hash":"0x..."`, as the gateway renders each accepted order.
    needles: Vec<Vec<u8>>,
    /// The batch's last order.
    last_hash: OrderHash,
}

/// Signs `per_client` batches for each client of `settings`, on two threads.
fn sign_batches(settings: &Settings, market: &MarketInfo, per_client: usize) -> Vec<Vec<Batch>> {
    let sign_client = |c: usize| -> Vec<Batch> {
        let role = settings.role(c);
        let spec = OrderSpec::limit(
            Outcome::Yes,
            role.side,
            PRICE.parse().expect("a price"),
            SIZE.parse().expect("a size"),
        );
        let key = wallet_key(role.wallet);
        let builder = OrderBuilder::new(&key, market);
        (0..per_client)
            .map(|b| {
                let orders: Vec<SignedOrder> = (0..ORDERS_PER_REQUEST)
                    .map(|i| {
                        // Unique per (client, batch, item): no order is a duplicate of another,
                        // also between clients of one wallet.
                        let seq = (b * ORDERS_PER_REQUEST + i) as u64;
                        let salt = U256::from(c as u64 + 1) << 128 | U256::from(seq);
                        builder.build_with_salt(&spec, salt).expect("sign an order")
                    })
                    .collect();
                let needles = orders.iter().map(|o| place::needle(&o.hash)).collect();
                Batch {
                    body: place::body(&orders),
                    needles,
                    last_hash: orders.last().expect("a batch holds orders").hash,
                }
            })
            .collect()
    };
    let mut out: Vec<Option<Vec<Batch>>> = (0..settings.clients).map(|_| None).collect();
    std::thread::scope(|s| {
        let (even, odd): (Vec<_>, Vec<_>) =
            out.iter_mut().enumerate().partition(|(c, _)| c % 2 == 0);
        for half in [even, odd] {
            s.spawn(move || {
                for (c, slot) in half {
                    *slot = Some(sign_client(c));
                }
            });
        }
    });
    out.into_iter()
        .map(|b| b.expect("every client signed"))
        .collect()
}

impl SignedSet {
    /// Signs enough orders for `settings`: `BENCH_ORDERS`, or what the ceiling (measured now,
    /// on a first sample) could verify in the whole load time, plus a margin: the gateway
    /// does that same work and more on the same cores, so it cannot go faster.
    fn sign(settings: &Settings, market: MarketInfo) -> SignedSet {
        let started = Instant::now();
        let domains = DomainCache::new();
        let sample_batches = CEILING_SAMPLE.div_ceil(ORDERS_PER_REQUEST * settings.clients);
        let sample = sign_batches(settings, &market, sample_batches);
        let ceiling: Vec<Verifiable> = sample
            .iter()
            .flat_map(|batches| batches.iter())
            .flat_map(|b| {
                let parsed: Value = serde_json::from_slice(&b.body).expect("JSON");
                parsed["orders"].as_array().cloned().unwrap_or_default()
            })
            .map(|item| item_to_verifiable(&item, &domains, &market))
            .collect();
        let wanted = if settings.orders > 0 {
            settings.orders
        } else {
            let rate = measure_ceiling(&ceiling, &domains, &market, Duration::from_millis(500));
            (rate * settings.load_time().as_secs_f64() * 1.3) as usize
        };
        let per_client = wanted
            .div_ceil(ORDERS_PER_REQUEST * settings.clients)
            .max(sample_batches);
        // The sample's batches are the first of each client's; the rest continue its salts.
        let batches = sign_batches(settings, &market, per_client);
        let clients: Vec<(Role, Arc<[Batch]>)> = batches
            .into_iter()
            .enumerate()
            .map(|(c, b)| (settings.role(c), Arc::from(b)))
            .collect();
        let orders = per_client * ORDERS_PER_REQUEST * settings.clients;
        println!(
            "signed {orders} orders ({per_client} batches per client) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        SignedSet {
            market,
            clients,
            ceiling,
            orders,
        }
    }
}

/// One client: its wallet's credentials, its batches, how far it got, its connection.
struct LoadClient {
    /// The request head up to and including `Content-Length: `.
    head: Vec<u8>,
    batches: Arc<[Batch]>,
    next: usize,
    conn: Option<Connection>,
    out: Vec<u8>,
    /// Its key, to read its orders back.
    api_key: ApiKey,
    /// The last order of its last accepted batch.
    last_accepted: Option<OrderHash>,
}

/// What the gateway did under load (or in one stretch of it).
#[derive(Default)]
struct Run {
    /// Orders in requests sent, warm-up included.
    sent: u64,
    /// Orders answered `OPEN`, warm-up included.
    accepted_total: u64,
    /// Orders answered `OPEN` in the measured window, and their requests.
    accepted: u64,
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    /// A client ran out of pre-signed orders (the window's figure undercounts).
    exhausted: bool,
    latencies_us: Vec<u32>,
    measured: Duration,
    gateway_cpu: Option<Duration>,
    client_cpu: Option<Duration>,
    /// Busy CPU time of the whole machine (every process) in the window.
    machine_cpu: Option<Duration>,
    /// When the last answer came.
    last_answer: Option<Instant>,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.accepted as f64 / self.measured.as_secs_f64()
    }

    fn merge(&mut self, other: Run) {
        self.sent += other.sent;
        self.accepted_total += other.accepted_total;
        self.accepted += other.accepted;
        self.requests += other.requests;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.exhausted |= other.exhausted;
        self.latencies_us.extend(other.latencies_us);
        self.measured += other.measured;
        let add = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.gateway_cpu = add(self.gateway_cpu, other.gateway_cpu);
        self.client_cpu = add(self.client_cpu, other.client_cpu);
        self.machine_cpu = add(self.machine_cpu, other.machine_cpu);
        self.last_answer = self.last_answer.max(other.last_answer);
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }

    /// CPU time per accepted order in the window, in microseconds.
    fn per_order_us(&self, cpu: Option<Duration>) -> String {
        match cpu {
            Some(cpu) if self.accepted > 0 => {
                format!("{:.1} us", cpu.as_secs_f64() * 1e6 / self.accepted as f64)
            }
            _ => "unknown".to_owned(),
        }
    }
}

/// One backend's figures.
struct Figures {
    backend: &'static str,
    /// The ceiling in the rounds interleaved with this backend's.
    ceiling: f64,
    gateway: Run,
    /// After each measured round, how long the matcher took to process what it still held.
    backlogs: Vec<Duration>,
    /// The stored orders by status, and the fills.
    stored: Stored,
    /// The gateway's `acceptance_*_total` counters after the run: (groups, requests, orders).
    groups: Result<(u64, u64, u64), String>,
}

impl Figures {
    fn ratio(&self) -> f64 {
        self.gateway.per_second() / self.ceiling
    }

    /// The ratio with each round lasting until the matcher had processed all it accepted.
    fn pipeline_ratio(&self) -> f64 {
        let backlog: Duration = self.backlogs.iter().sum();
        let busy = self.gateway.measured + backlog;
        self.gateway.accepted as f64 / busy.as_secs_f64() / self.ceiling
    }

    fn clean(&self) -> bool {
        self.gateway.errors == 0
            && !self.gateway.exhausted
            && self.gateway.accepted > 0
            && self.gateway.accepted_total == self.gateway.sent
            && self.stored.orders() == self.gateway.accepted_total as i64
    }
}

fn run_backend(
    settings: &Settings,
    database: &Database,
    signed: &mut Option<SignedSet>,
) -> Result<Figures, String> {
    let name = database.kind.name();
    let mut env = Vec::new();
    if let Some(fill) = &settings.fill_orders {
        env.push(("FS_ACCEPTANCE_FILL_ORDERS", fill.as_str()));
    }
    let gateway = database.start_gateway(&env);
    let runtime = client_runtime();
    // No idle connections: one left from before the signing may have been closed by now.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", gateway.addr);
    let market = runtime.block_on(fetch_market(&http, &base))?;
    let set = match signed {
        Some(set) if set.market == market => set,
        Some(_) => return Err("the demo market differs from the first backend's".into()),
        None => signed.insert(SignedSet::sign(settings, market)),
    };
    println!(
        "{name}: gateway pid {}, {}; {}",
        gateway.child.id(),
        runtime.block_on(database.durability(&gateway)),
        load_average()
    );
    let mut clients = runtime
        .block_on(load_clients(&http, &gateway, set))
        .map_err(|e| format!("{e}\n{}", gateway.log()))?;

    let domains = DomainCache::new();
    let gateway_cpu = CpuSource::Process(gateway.child.id());
    let load_round = |clients: &mut Vec<LoadClient>, settle, measured| {
        let run = load(
            &runtime,
            clients,
            gateway.addr,
            settle,
            measured,
            &gateway_cpu,
        );
        // The next round (of the ceiling, above all) starts with the matcher idle.
        let backlog = runtime.block_on(backlog::wait(&base, clients, run.last_answer));
        backlog.map(|b| (run, b))
    };
    let (mut run, _) = load_round(&mut clients, settings.warmup, Duration::ZERO)?;
    let round = settings.measured / settings.rounds;
    let (mut ceiling_orders, mut ceiling_time) = (0.0, Duration::ZERO);
    let (mut by_round, mut backlogs) = (Vec::new(), Vec::new());
    for i in 0..settings.rounds {
        let mut ceiling_first = i % 2 == 0;
        let (mut gateway_rate, mut ceiling_rate) = (0.0, 0.0);
        for _ in 0..2 {
            if ceiling_first {
                ceiling_rate = measure_ceiling(&set.ceiling, &domains, &set.market, round);
                ceiling_orders += ceiling_rate * round.as_secs_f64();
                ceiling_time += round;
            } else {
                let (r, backlog) = load_round(&mut clients, ROUND_SETTLE, round)?;
                gateway_rate = r.per_second();
                run.merge(r);
                backlogs.push(backlog);
            }
            ceiling_first = !ceiling_first;
        }
        by_round.push(format!("{:.2}", gateway_rate / ceiling_rate));
    }
    // Close the connections before the gateway stops.
    drop(clients);
    run.latencies_us.sort_unstable();
    let stored = runtime
        .block_on(database.stored(&gateway))
        .map_err(|e| format!("reading the stored orders: {e}"))?;
    let figures = Figures {
        backend: name,
        ceiling: ceiling_orders / ceiling_time.as_secs_f64(),
        gateway: run,
        backlogs,
        stored,
        groups: runtime.block_on(group_commits(&http, &base)),
    };
    report(settings, &figures, &by_round, set.orders);
    if !figures.clean() {
        print_log_tail(&gateway);
    }
    Ok(figures)
}

/// Each client of the set with an API key of its wallet, credited with what its orders
/// reserve: collateral for BUYs, YES tokens for SELLs.
async fn load_clients(
    http: &reqwest::Client,
    gateway: &GatewayProcess,
    set: &SignedSet,
) -> Result<Vec<LoadClient>, String> {
    let mut clients = Vec::with_capacity(set.clients.len());
    for (i, (role, batches)) in set.clients.iter().enumerate() {
        let key = wallet_key(role.wallet);
        let name = format!("bench-client-{i}");
        let api_key = trader(http, gateway, &set.market, &key, role.side, &name).await?;
        clients.push(LoadClient {
            head: place::head(gateway.addr, &api_key),
            batches: batches.clone(),
            next: 0,
            conn: None,
            out: Vec::with_capacity(32 * 1024),
            api_key,
            last_accepted: None,
        });
    }
    Ok(clients)
}

fn report(settings: &Settings, f: &Figures, by_round: &[String], signed: usize) {
    let run = &f.gateway;
    let name = f.backend;
    println!(
        "  {name:<8} ceiling  {:>7.0} orders/s  EIP-712 digest + recover, 2 threads, in the rounds beside the gateway's",
        f.ceiling
    );
    println!(
        "  {name:<8} gateway  {:>7.0} orders/s  {:.0} req/s  p50 {:.2} ms  p99 {:.2} ms (per request of {ORDERS_PER_REQUEST})",
        run.per_second(),
        run.requests as f64 / run.measured.as_secs_f64(),
        run.percentile_ms(0.50),
        run.percentile_ms(0.99),
    );
    println!(
        "  {name:<8} ratio    {:.2}, by round {}; with the matcher's backlog {:.2} (target >= {:.2})",
        f.ratio(),
        by_round.join(" "),
        f.pipeline_ratio(),
        settings.target_ratio(),
    );
    let backlogs: Vec<String> = f
        .backlogs
        .iter()
        .map(|b| format!("{:.1}", b.as_secs_f64() * 1e3))
        .collect();
    println!(
        "  {name:<8} backlog  {} ms after each round's last answer until the matcher had processed every order",
        backlogs.join(" ")
    );
    let busy = machine_busy(run.machine_cpu, run.measured);
    println!(
        "  {name:<8} CPU      per accepted order: gateway {}, bench client {}, whole machine {} (ceiling: {:.1} us); machine busy {busy}",
        run.per_order_us(run.gateway_cpu),
        run.per_order_us(run.client_cpu),
        run.per_order_us(run.machine_cpu),
        2e6 / f.ceiling,
    );
    println!(
        "  {name:<8} orders   sent {}, accepted (200, OPEN) {}, stored rows {}, errors {}{} (of {signed} signed)",
        run.sent,
        run.accepted_total,
        f.stored.orders(),
        run.errors,
        if run.exhausted {
            ", RAN OUT of pre-signed orders: raise BENCH_ORDERS"
        } else {
            ""
        },
    );
    println!("  {name:<8} stored   {}", f.stored);
    match f.groups {
        Ok((groups, requests, orders)) if groups > 0 => println!(
            "  {name:<8} groups   {groups} group commits, {:.1} orders and {:.2} requests each (warm-up included)",
            orders as f64 / groups as f64,
            requests as f64 / groups as f64,
        ),
        Ok(_) => println!("  {name:<8} groups   none"),
        Err(ref e) => println!("  {name:<8} groups   unknown: {e}"),
    }
    if let Some(e) = &run.first_error {
        println!("  {name:<8} first error: {e}");
    }
}

/// The acceptance writers' totals from `/metrics`: (groups, requests, orders).
async fn group_commits(http: &reqwest::Client, base: &str) -> Result<(u64, u64, u64), String> {
    let url = format!("{base}/metrics");
    let response = http.get(&url).send().await.map_err(|e| e.to_string())?;
    let text = response.text().await.map_err(|e| e.to_string())?;
    let total = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .ok_or_else(|| format!("no {name} in {url}"))
    };
    Ok((
        total("acceptance_groups_total")?,
        total("acceptance_requests_total")?,
        total("acceptance_orders_total")?,
    ))
}
