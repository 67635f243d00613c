//! Orders accepted per second through `POST /v1/orders`, on the embedded default (SQLite) and
//! on PostgreSQL, against the ceiling of the work every order needs whatever the server does
//! around it: EIP-712 digest plus signer recovery on two threads, measured in the same run.
//!
//! The ratio is the figure to watch (the target is at least half the ceiling on both backends).
//! Each backend gets a fresh gateway binary in dev mode in a temp directory; PostgreSQL gets a
//! fresh schema (`test_support::PgSchema`), dropped afterwards, so earlier runs' rows never
//! interfere. `BENCH_CLIENTS` clients each have a wallet of their own (its own balance row, so
//! reservations do not all contend on one), an API key with `read` + `trade`, enough
//! collateral for every order it sends, and one keep-alive HTTP/1.1 connection on which it
//! sends its next batch of 15 orders as soon as the last response is in. Every order is signed
//! (unique salt) before any clock starts; the same signed set serves both backends, each of
//! which starts from an empty database.
//!
//! Every response must be a 200 whose results are, item for item, the batch's own order hashes,
//! all `OPEN`; afterwards the orders table must hold exactly as many rows as were accepted, and
//! every order sent must have been accepted. A run with any failure exits non-zero. The gateway
//! acknowledges an order only after the COMMIT that stores it (SQLite `synchronous = FULL`;
//! PostgreSQL's `fsync` and `synchronous_commit` are printed).
//!
//! The measured time is split into rounds that alternate between the gateway and the ceiling,
//! so other work on the machine weighs on both alike; the load average is printed.
//!
//! Run with `cargo bench -p gateway --bench order_intake`. Settings (environment):
//! `BENCH_CLIENTS` (8), `BENCH_WARMUP_SECS` (1), `BENCH_SECS` (5, per backend, and as long
//! again for the ceiling), `BENCH_ROUNDS` (5), `BENCH_ORDERS` (orders to pre-sign; default:
//! what the ceiling could verify in the whole load time, plus a margin), `BENCH_BACKENDS`
//! (`sqlite,postgres`), `BENCH_FILL_ORDERS` (the gateway's `FS_ACCEPTANCE_FILL_ORDERS`; default:
//! the gateway's default), `DATABASE_URL` (the PostgreSQL server; default
//! `postgres://postgres@127.0.0.1:5432/test`). Run by `cargo test` (no `--bench` argument) it
//! only checks that it works, with a light and short load.

mod common;
#[path = "order_intake/load.rs"]
mod load;

use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{hex, Address, U256};
use client::{Market, MarketInfo, OrderBuilder, OrderSpec, PrivateKey, SignedOrder};
use serde::Serialize;
use serde_json::{json, Value};
use signing::eip712::{order_digest, recover_signer, DomainCache, Order};
use sqlx::Connection as _;
use test_support::PgSchema;
use types::{Outcome, Side};

use common::{
    client_runtime, env_number, load_average, percentile_ms, Connection, CpuSource, GatewayProcess,
    DEMO_CONDITION_ID,
};
use load::load;

/// The ratio of gateway to ceiling the issue asks for, on each backend.
const TARGET_RATIO: f64 = 0.5;
/// The most orders one request may carry (docs/api.md 6.1): every request carries this many.
const ORDERS_PER_REQUEST: usize = 15;
/// The demo market's minimum size, at a price that crosses nothing (every order is a BUY).
const PRICE: &str = "0.50";
const SIZE: &str = "5";
/// Collateral credited to each wallet, in base units: far more than it can reserve.
const CREDIT: &str = "1000000000000000000000000000000000000";
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789abcdef";
/// Orders the ceiling cycles through (taken from the signed set).
const CEILING_SAMPLE: usize = 2_000;
/// Each gateway round starts with this long whose responses do not count, to refill the pipe.
const ROUND_SETTLE: Duration = Duration::from_millis(100);
/// A response slower than this means a stalled server, not a slow one.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let settings = if smoke {
        Settings::smoke()
    } else {
        Settings::from_env()
    };
    println!("{} (at the start)", load_average());
    println!(
        "order_intake: POST /v1/orders, {} clients (a wallet, API key and keep-alive connection \
         each), {ORDERS_PER_REQUEST} orders per request, {:?} warm-up, {:?} measured per backend \
         in {} rounds alternating with as long of the ceiling",
        settings.clients, settings.warmup, settings.measured, settings.rounds
    );

    let mut signed: Option<SignedSet> = None;
    let mut results = Vec::new();
    let mut failed = false;
    for backend in &settings.backends {
        let database = match Database::create(*backend) {
            Ok(database) => database,
            Err(why) => {
                println!(
                    "{}: SKIPPED (PostgreSQL is unreachable: {why})",
                    backend.name()
                );
                continue;
            }
        };
        match run_backend(&settings, &database, &mut signed) {
            Ok(figures) => {
                failed |= !figures.clean();
                results.push(figures);
            }
            Err(e) => {
                println!("{}: FAILED: {e}", backend.name());
                failed = true;
            }
        }
    }

    println!("summary ({}):", load_average());
    for f in &results {
        let verdict = if smoke {
            "not judged in a smoke run; use cargo bench"
        } else if f.ratio() >= TARGET_RATIO {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "  {:<8} ceiling {:>6.0} orders/s (2 threads)  gateway {:>6.0} orders/s  ratio {:.2} \
             (target >= {TARGET_RATIO:.2}: {verdict})  p50 {:.1} ms  p99 {:.1} ms  accepted {}/{} sent",
            f.backend,
            f.ceiling,
            f.gateway.per_second(),
            f.ratio(),
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
}

impl Settings {
    fn from_env() -> Settings {
        let backends = std::env::var("BENCH_BACKENDS")
            .unwrap_or_else(|_| "sqlite,postgres".to_owned())
            .split(',')
            .map(|name| match name.trim() {
                "sqlite" => BackendKind::Sqlite,
                "postgres" => BackendKind::Postgres,
                other => panic!("BENCH_BACKENDS: {other:?} is neither sqlite nor postgres"),
            })
            .collect();
        Settings {
            clients: env_number("BENCH_CLIENTS", 8).clamp(1, 25) as usize,
            warmup: Duration::from_secs(env_number("BENCH_WARMUP_SECS", 1)),
            measured: Duration::from_secs(env_number("BENCH_SECS", 5).max(1)),
            rounds: env_number("BENCH_ROUNDS", 5).clamp(1, 100) as u32,
            orders: env_number("BENCH_ORDERS", 0) as usize,
            backends,
            fill_orders: std::env::var("BENCH_FILL_ORDERS").ok(),
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
        }
    }

    /// How long the gateway is loaded per backend, warm-up and settling included.
    fn load_time(&self) -> Duration {
        self.warmup + self.measured + ROUND_SETTLE * self.rounds
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// The database of one backend's run: the gateway's default SQLite file in its own temp
/// directory, or a fresh PostgreSQL schema that is dropped with this value.
struct Database {
    kind: BackendKind,
    schema: Option<PgSchema>,
}

impl Database {
    /// Why not, when PostgreSQL is unreachable.
    fn create(kind: BackendKind) -> Result<Database, String> {
        let schema = match kind {
            BackendKind::Sqlite => None,
            BackendKind::Postgres => Some(client_runtime().block_on(PgSchema::try_create())?),
        };
        Ok(Database { kind, schema })
    }

    /// The gateway's `DATABASE_URL`, when it is not the default.
    fn gateway_url(&self) -> Option<&str> {
        self.schema.as_ref().map(|s| s.url.as_str())
    }

    /// Where the bench reads what the gateway stored.
    fn inspect_url(&self, gateway: &GatewayProcess) -> String {
        match &self.schema {
            Some(schema) => schema.url.clone(),
            None => format!(
                "sqlite://{}?mode=ro",
                gateway.dir.path().join("data/gateway.db").display()
            ),
        }
    }
}

/// The orders every backend receives, signed once before any clock starts.
struct SignedSet {
    market: MarketInfo,
    /// Per client: its private key and its batches, in sending order.
    clients: Vec<(PrivateKey, Arc<[Batch]>)>,
    /// A sample of the set for the ceiling, each with its signer.
    ceiling: Vec<Verifiable>,
    orders: usize,
}

/// One request's orders: the JSON body and, in item order, what each result must carry.
struct Batch {
    body: Vec<u8>,
    /// `"order_hash":"0x..."`, as the gateway renders each accepted order.
    needles: Vec<Vec<u8>>,
}

/// What the ceiling verifies for one order: the signed struct, its signature and the signer.
struct Verifiable {
    order: Order,
    signature: [u8; 65],
    signer: Address,
}

#[derive(Serialize)]
struct PlaceBody<'a> {
    orders: &'a [SignedOrder],
}

/// A deterministic key per client: distinct wallets, stable across runs.
fn client_key(i: usize) -> PrivateKey {
    let mut bytes = [0x5a; 32];
    bytes[0] = 0x1b;
    bytes[31] = i as u8 + 1;
    PrivateKey::from_bytes(bytes).expect("a valid secp256k1 key")
}

/// Signs `per_client` batches for each of `clients` wallets, on two threads.
fn sign_batches(market: &MarketInfo, clients: usize, per_client: usize) -> Vec<Vec<Batch>> {
    let spec = OrderSpec::limit(
        Outcome::Yes,
        Side::Buy,
        PRICE.parse().expect("a price"),
        SIZE.parse().expect("a size"),
    );
    let sign_client = |c: usize| -> Vec<Batch> {
        let key = client_key(c);
        let builder = OrderBuilder::new(&key, market);
        (0..per_client)
            .map(|b| {
                let orders: Vec<SignedOrder> = (0..ORDERS_PER_REQUEST)
                    .map(|i| {
                        // Unique per (client, batch, item): no order is a duplicate of another.
                        let seq = (b * ORDERS_PER_REQUEST + i) as u64;
                        let salt = U256::from(c as u64 + 1) << 128 | U256::from(seq);
                        builder.build_with_salt(&spec, salt).expect("sign an order")
                    })
                    .collect();
                let needles = orders
                    .iter()
                    .map(|o| {
                        let hash = serde_json::to_string(&o.hash).expect("a hash serializes");
                        format!("\"order_hash\":{hash}").into_bytes()
                    })
                    .collect();
                Batch {
                    body: serde_json::to_vec(&PlaceBody { orders: &orders })
                        .expect("a batch serializes"),
                    needles,
                }
            })
            .collect()
    };
    let mut out: Vec<Option<Vec<Batch>>> = (0..clients).map(|_| None).collect();
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
        let sample = sign_batches(&market, settings.clients, sample_batches);
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
        let batches = sign_batches(&market, settings.clients, per_client);
        let clients: Vec<(PrivateKey, Arc<[Batch]>)> = batches
            .into_iter()
            .enumerate()
            .map(|(c, b)| (client_key(c), Arc::from(b)))
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

/// Rebuilds what the ceiling verifies from a sent item (the sample is checked against the
/// hash the client computed, so the ceiling verifies exactly what the gateway receives).
fn item_to_verifiable(item: &Value, domains: &DomainCache, market: &MarketInfo) -> Verifiable {
    let text = |k: &str| item[k].as_str().unwrap_or_else(|| panic!("{k} in {item}"));
    let u256 = |k: &str| U256::from_str_radix(text(k), 10).unwrap_or_else(|_| panic!("{k}"));
    let addr = |k: &str| text(k).parse::<Address>().unwrap_or_else(|_| panic!("{k}"));
    let order = Order {
        salt: u256("salt"),
        maker: addr("maker"),
        signer: addr("signer"),
        taker: addr("taker"),
        tokenId: u256("token_id"),
        makerAmount: u256("maker_amount"),
        takerAmount: u256("taker_amount"),
        expiration: u256("expiration"),
        nonce: u256("nonce"),
        feeRateBps: U256::from(item["fee_rate_bps"].as_u64().expect("fee_rate_bps")),
        side: if text("side") == "BUY" { 0 } else { 1 },
        signatureType: item["signature_type"].as_u64().expect("signature_type") as u8,
    };
    let separator = domains.separator(market.chain_id, market.ctf_exchange_address);
    let signature: [u8; 65] = hex::decode(text("signature"))
        .expect("hex")
        .try_into()
        .expect("65 bytes");
    let digest = order_digest(separator, &order);
    assert_eq!(
        recover_signer(&digest.0, &signature),
        Ok(order.signer),
        "a sample order does not verify"
    );
    Verifiable {
        signer: order.signer,
        order,
        signature,
    }
}

/// Orders per second that two threads verify (cached domain separator, EIP-712 digest,
/// libsecp256k1 recovery, compared with the signer), for `window`.
fn measure_ceiling(
    sample: &[Verifiable],
    domains: &DomainCache,
    market: &MarketInfo,
    window: Duration,
) -> f64 {
    let (chain, exchange) = (market.chain_id, market.ctf_exchange_address);
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let (stop, done) = (&stop, &done);
            s.spawn(move || {
                let mut count = 0u64;
                // The two threads start at opposite ends of the sample.
                let mut i = t * sample.len() / 2;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..32 {
                        let v = &sample[i % sample.len()];
                        let sep = domains.separator(chain, exchange);
                        let digest = order_digest(sep, std::hint::black_box(&v.order));
                        assert_eq!(recover_signer(&digest.0, &v.signature), Ok(v.signer));
                        i += 1;
                    }
                    count += 32;
                    if start.elapsed() >= window {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                done.fetch_add(count, Ordering::Relaxed);
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// One client: its wallet's credentials, its batches, how far it got, its connection.
struct LoadClient {
    /// The request head up to and including `Content-Length: `.
    head: Vec<u8>,
    batches: Arc<[Batch]>,
    next: usize,
    conn: Option<Connection>,
    out: Vec<u8>,
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
    stored: i64,
    /// The gateway's `acceptance_*_total` counters after the run: (groups, requests, orders).
    groups: Result<(u64, u64, u64), String>,
}

impl Figures {
    fn ratio(&self) -> f64 {
        self.gateway.per_second() / self.ceiling
    }

    fn clean(&self) -> bool {
        self.gateway.errors == 0
            && !self.gateway.exhausted
            && self.gateway.accepted > 0
            && self.gateway.accepted_total == self.gateway.sent
            && self.stored == self.gateway.accepted_total as i64
    }
}

fn run_backend(
    settings: &Settings,
    database: &Database,
    signed: &mut Option<SignedSet>,
) -> Result<Figures, String> {
    let name = database.kind.name();
    let mut env = vec![("FS_ADMIN_TOKEN", ADMIN_TOKEN)];
    if let Some(url) = database.gateway_url() {
        env.push(("DATABASE_URL", url));
    }
    if let Some(fill) = &settings.fill_orders {
        env.push(("FS_ACCEPTANCE_FILL_ORDERS", fill));
    }
    let gateway = GatewayProcess::start(&env);
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
    let durability = runtime.block_on(durability(database, &gateway));
    println!(
        "{name}: gateway pid {}, {durability}; {}",
        gateway.child.id(),
        load_average()
    );
    let mut clients = Vec::with_capacity(set.clients.len());
    for (i, (key, batches)) in set.clients.iter().enumerate() {
        let (key_id, secret) = runtime
            .block_on(setup_wallet(&http, &base, &gateway, key, i))
            .map_err(|e| format!("setting up wallet {i}: {e}\n{}", gateway.log()))?;
        clients.push(LoadClient {
            head: format!(
                "POST /v1/orders HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
                 fs-api-key: {key_id}\r\nfs-api-secret: {secret}\r\nContent-Length: ",
                gateway.addr
            )
            .into_bytes(),
            batches: batches.clone(),
            next: 0,
            conn: None,
            out: Vec::with_capacity(32 * 1024),
        });
    }

    let domains = DomainCache::new();
    let gateway_cpu = CpuSource::Process(gateway.child.id());
    let mut run = load(
        &runtime,
        &mut clients,
        gateway.addr,
        settings.warmup,
        Duration::ZERO,
        &gateway_cpu,
    );
    let round = settings.measured / settings.rounds;
    let (mut ceiling_orders, mut ceiling_time) = (0.0, Duration::ZERO);
    let mut by_round = Vec::new();
    for i in 0..settings.rounds {
        let mut ceiling_first = i % 2 == 0;
        let (mut gateway_rate, mut ceiling_rate) = (0.0, 0.0);
        for _ in 0..2 {
            if ceiling_first {
                ceiling_rate = measure_ceiling(&set.ceiling, &domains, &set.market, round);
                ceiling_orders += ceiling_rate * round.as_secs_f64();
                ceiling_time += round;
            } else {
                let r = load(
                    &runtime,
                    &mut clients,
                    gateway.addr,
                    ROUND_SETTLE,
                    round,
                    &gateway_cpu,
                );
                gateway_rate = r.per_second();
                run.merge(r);
            }
            ceiling_first = !ceiling_first;
        }
        by_round.push(format!("{:.2}", gateway_rate / ceiling_rate));
    }
    // Close the connections before the gateway stops.
    drop(clients);
    run.latencies_us.sort_unstable();
    let stored = runtime
        .block_on(stored_orders(database, &gateway))
        .map_err(|e| format!("counting the stored orders: {e}"))?;
    let groups = runtime.block_on(group_commits(&http, &base));
    let figures = Figures {
        backend: name,
        ceiling: ceiling_orders / ceiling_time.as_secs_f64(),
        gateway: run,
        stored,
        groups,
    };
    report(&figures, &by_round, set.orders);
    if !figures.clean() {
        let log = gateway.log();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        println!(
            "  gateway log (last lines, newest first):\n    {}",
            tail.join("\n    ")
        );
    }
    Ok(figures)
}

fn report(f: &Figures, by_round: &[String], signed: usize) {
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
        "  {name:<8} ratio    {:.2} (target >= {TARGET_RATIO:.2}), by round {}",
        f.ratio(),
        by_round.join(" ")
    );
    let busy = match run.machine_cpu {
        Some(cpu) => format!(
            "{:.0}%",
            100.0 * cpu.as_secs_f64()
                / (run.measured.as_secs_f64()
                    * std::thread::available_parallelism().map_or(1, |n| n.get()) as f64)
        ),
        None => "unknown".to_owned(),
    };
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
        f.stored,
        run.errors,
        if run.exhausted {
            ", RAN OUT of pre-signed orders: raise BENCH_ORDERS"
        } else {
            ""
        },
    );
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

async fn fetch_market(http: &reqwest::Client, base: &str) -> Result<MarketInfo, String> {
    let url = format!("{base}/v1/markets/{DEMO_CONDITION_ID}?chain_id=56");
    let response = http.get(&url).send().await.map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("GET {url}: {}", response.status()));
    }
    let market: Market = response.json().await.map_err(|e| e.to_string())?;
    Ok(market.info())
}

/// A JWT from `gateway dev-token`, an API key with `read` + `trade` made with it, and the
/// wallet's collateral credited: the key pair's id and secret.
async fn setup_wallet(
    http: &reqwest::Client,
    base: &str,
    gateway: &GatewayProcess,
    key: &PrivateKey,
    i: usize,
) -> Result<(String, String), String> {
    let wallet = key.wallet().to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_gateway"));
    for (name, _) in std::env::vars() {
        if name.starts_with("FS_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    let out = command
        .args(["dev-token", "--wallet", &wallet])
        .current_dir(gateway.dir.path())
        .env("FS_DEV_MODE", "true")
        .output()
        .map_err(|e| format!("gateway dev-token: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gateway dev-token: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let key_pair = post(
        http.post(format!("{base}/v1/auth/api-keys"))
            .bearer_auth(&token)
            .json(&json!({"permissions": ["read", "trade"], "name": format!("bench-{i}")})),
        201,
    )
    .await?;
    post(
        http.post(format!("{base}/admin/v1/balances"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"wallet": wallet, "asset": "collateral", "amount": CREDIT})),
        200,
    )
    .await?;
    let field = |k: &str| {
        key_pair[k]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no {k} in {key_pair}"))
    };
    Ok((field("key_id")?, field("secret")?))
}

async fn post(request: reqwest::RequestBuilder, status: u16) -> Result<Value, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if got != status {
        return Err(format!("status {got}, not {status}: {body}"));
    }
    Ok(body)
}

/// What makes an acknowledged order durable on this backend, as far as the bench can see.
async fn durability(database: &Database, gateway: &GatewayProcess) -> String {
    match database.kind {
        BackendKind::Sqlite => format!(
            "SQLite {} (journal_mode WAL, synchronous FULL: store::backend)",
            gateway.dir.path().join("data/gateway.db").display()
        ),
        BackendKind::Postgres => {
            let url = database.inspect_url(gateway);
            let show = |setting: &'static str| {
                let url = url.clone();
                async move {
                    let mut conn = sqlx::AnyConnection::connect(&url).await.ok()?;
                    let row: (String,) = sqlx::query_as(&format!("SHOW {setting}"))
                        .fetch_one(&mut conn)
                        .await
                        .ok()?;
                    Some(row.0)
                }
            };
            sqlx::any::install_default_drivers();
            format!(
                "PostgreSQL schema {} (fsync {}, synchronous_commit {})",
                database.schema.as_ref().map_or("?", |s| s.name.as_str()),
                show("fsync").await.unwrap_or_else(|| "?".into()),
                show("synchronous_commit")
                    .await
                    .unwrap_or_else(|| "?".into()),
            )
        }
    }
}

/// Rows in the gateway's orders table.
async fn stored_orders(database: &Database, gateway: &GatewayProcess) -> Result<i64, String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&database.inspect_url(gateway))
        .await
        .map_err(|e| e.to_string())?;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(count)
}
