//! Throughput of `GET /v1/markets/{condition_id}?chain_id=56`: the real gateway against a bare
//! actix-web handler serving the same bytes, both measured in the same run.
//!
//! The ratio is the figure to watch. Absolute requests per second depend on the machine; the
//! ratio says what the gateway's own layers (middleware, metrics, extractors, rendering) cost
//! on top of actix-web. Both servers get the same load from one client thread: `connections`
//! keep-alive HTTP/1.1 connections, each sending its next request as soon as the last response
//! is in. Every response must be a 200 carrying exactly the bytes the gateway served first;
//! anything else counts as an error, and a run with errors fails. The measured time is split
//! into rounds that alternate between the servers, so background load skews both alike.
//!
//! Run with `cargo bench -p gateway --bench market_read`. Settings (environment):
//! `BENCH_CONNECTIONS` (64), `BENCH_WARMUP_SECS` (1, per server), `BENCH_SECS` (5, per server),
//! `BENCH_ROUNDS` (5). Run by `cargo test` (no `--bench` argument) it only checks that it
//! works, with a light and short load.

mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::header::ContentType;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpResponse, HttpServer};

use common::{
    client_runtime, env_number, load_average, percentile_ms, smoke_run, Connection, CpuSource,
    GatewayProcess, DEMO_CONDITION_ID,
};
/// The route pattern the gateway serves the market under; the bare server routes the same way.
const MARKET_ROUTE: &str = "/v1/markets/{condition_id}";
/// The ratio the issue asks the gateway to reach.
const TARGET_RATIO: f64 = 0.6;
/// Each round opens fresh connections; this long passes before responses count.
const ROUND_SETTLE: Duration = Duration::from_millis(100);
/// A response slower than this means a stalled server, not a slow one.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let smoke = smoke_run();
    let settings = if smoke {
        Settings::smoke()
    } else {
        Settings::from_env()
    };
    let gateway = GatewayProcess::start(&[]);
    let path = format!("/v1/markets/{DEMO_CONDITION_ID}?chain_id=56");
    let body = fetch_market(gateway.addr, &path);
    let bare = start_bare_server(body.clone());
    println!("{}", load_average());
    println!(
        "market_read: GET {path}, {} byte body, {} connections, {:?} warm-up, {:?} measured in {} rounds",
        body.len(),
        settings.connections,
        settings.warmup,
        settings.measured,
        settings.rounds
    );

    // Indices into `servers`.
    const BARE: usize = 0;
    const GATEWAY: usize = 1;
    let mut servers = [
        Server::new(
            "bare actix-web",
            bare,
            CpuSource::OwnThreads("actix"),
            &path,
            &body,
        ),
        Server::new(
            "gateway",
            gateway.addr,
            CpuSource::Process(gateway.child.id()),
            &path,
            &body,
        ),
    ];
    for server in &mut servers {
        server.load(&settings, settings.warmup, Duration::ZERO);
    }
    // Short rounds, alternating which server goes first, so that whatever else the machine is
    // doing weighs on both figures alike.
    let round = settings.measured / settings.rounds;
    let mut round_ratios = Vec::new();
    for i in 0..settings.rounds {
        let order = if i % 2 == 0 {
            [BARE, GATEWAY]
        } else {
            [GATEWAY, BARE]
        };
        let mut per_second = [0.0; 2];
        for s in order {
            per_second[s] = servers[s].load(&settings, ROUND_SETTLE, round);
        }
        round_ratios.push(format!("{:.2}", per_second[GATEWAY] / per_second[BARE]));
    }

    for server in &mut servers {
        server.run.latencies_us.sort_unstable();
        report(server.name, &server.run);
    }
    let [bare_run, gateway_run] = servers.map(|s| s.run);
    let ratio = gateway_run.per_second() / bare_run.per_second();
    let verdict = if smoke {
        "not judged in a smoke run; use cargo bench"
    } else if ratio >= TARGET_RATIO {
        "met"
    } else {
        "NOT met"
    };
    println!("  ratio gateway/bare   {ratio:.2}  (target >= {TARGET_RATIO:.2}: {verdict})");
    println!("  ratio by round       {}", round_ratios.join(" "));
    if let (Some(g), Some(b)) = (
        gateway_run.cpu_per_request_us(),
        bare_run.cpu_per_request_us(),
    ) {
        // The client shares the machine's cores with the server, so throughput understates
        // what the gateway costs; CPU per request shows it directly.
        println!("  CPU/req gateway/bare {:.2}", g / b);
    }
    drop(gateway);

    if bare_run.errors + gateway_run.errors > 0 || bare_run.ok == 0 || gateway_run.ok == 0 {
        eprintln!("market_read: the run had errors, so its figures mean nothing");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// How hard and how long to push, from the environment.
struct Settings {
    connections: usize,
    warmup: Duration,
    measured: Duration,
    rounds: u32,
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            connections: env_number("BENCH_CONNECTIONS", 64).max(1) as usize,
            warmup: Duration::from_secs(env_number("BENCH_WARMUP_SECS", 1)),
            measured: Duration::from_secs(env_number("BENCH_SECS", 5).max(1)),
            rounds: env_number("BENCH_ROUNDS", 5).clamp(1, 100) as u32,
        }
    }

    /// Enough to exercise every path of the bench, in well under a second of load.
    fn smoke() -> Settings {
        Settings {
            connections: 4,
            warmup: Duration::from_millis(50),
            measured: Duration::from_millis(200),
            rounds: 2,
        }
    }
}

/// One server under test: where it is, what to ask, what it must answer, and its totals.
struct Server {
    name: &'static str,
    addr: SocketAddr,
    request: Arc<[u8]>,
    expected: Bytes,
    cpu: CpuSource,
    run: Run,
}

impl Server {
    fn new(
        name: &'static str,
        addr: SocketAddr,
        cpu: CpuSource,
        path: &str,
        expected: &Bytes,
    ) -> Server {
        Server {
            name,
            addr,
            request: request(addr, path).into(),
            expected: expected.clone(),
            cpu,
            run: Run::default(),
        }
    }

    /// Loads the server for `settle` (not counted, but checked) then `measured`; adds the
    /// figures to the totals and returns this stretch's requests per second.
    fn load(&mut self, settings: &Settings, settle: Duration, measured: Duration) -> f64 {
        let runtime = client_runtime();
        let mut run = runtime.block_on(async {
            let start = Instant::now() + settle;
            let window = Window {
                start,
                end: start + measured,
            };
            let tasks: Vec<_> = (0..settings.connections)
                .map(|_| {
                    let (request, expected) = (self.request.clone(), self.expected.clone());
                    tokio::spawn(drive(self.addr, request, expected, window))
                })
                .collect();
            tokio::time::sleep_until(start.into()).await;
            let cpu_before = self.cpu.used();
            let mut run = Run::default();
            for task in tasks {
                run.merge(task.await.expect("a connection task panicked"));
            }
            if !measured.is_zero() {
                run.server_cpu = self.cpu.used().zip(cpu_before).map(|(a, b)| a - b);
            }
            run
        });
        run.measured = measured;
        let per_second = run.per_second();
        self.run.merge(run);
        per_second
    }
}

/// The market JSON as the gateway serves it: the bytes both servers must return.
fn fetch_market(addr: SocketAddr, path: &str) -> Bytes {
    let runtime = client_runtime();
    let body = runtime.block_on(async {
        let mut conn = Connection::open(addr)
            .await
            .expect("connect to the gateway");
        let response = conn
            .exchange(&request(addr, path))
            .await
            .unwrap_or_else(|e| panic!("GET {path} from the gateway failed: {e}"));
        assert_eq!(response.status, 200, "GET {path} from the gateway");
        Bytes::copy_from_slice(response.body)
    });
    let market: serde_json::Value =
        serde_json::from_slice(&body).expect("the gateway serves the market as JSON");
    assert_eq!(market["condition_id"], DEMO_CONDITION_ID, "{market}");
    body
}

/// A bare actix-web server with as many workers as the gateway, whose one handler returns
/// `body`: the most a gateway built on actix-web could do on this machine.
fn start_bare_server(body: Bytes) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the bare server");
    let addr = listener.local_addr().expect("the bare server's address");
    // The gateway's own rule for its worker count.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let body = body.clone();
                App::new().route(
                    MARKET_ROUTE,
                    web::get().to(move || {
                        let body = body.clone();
                        async move {
                            HttpResponse::Ok()
                                .insert_header(ContentType::json())
                                .body(body)
                        }
                    }),
                )
            })
            .workers(workers)
            // Ctrl-C is for the whole bench, not for this server alone.
            .disable_signals()
            .listen(listener)
            .expect("listen on the bare server's socket")
            .run();
            server.await.expect("the bare server runs");
        })
    });
    addr
}

fn request(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\r\n").into_bytes()
}

/// What one server did under load.
#[derive(Default)]
struct Run {
    /// Good responses completed in the measured window.
    ok: u64,
    /// Failures over the whole run, warm-up included.
    errors: u64,
    first_error: Option<String>,
    /// CPU time the server used in the window, where the platform tells.
    server_cpu: Option<Duration>,
    /// Latency of each good response in the window, in microseconds.
    latencies_us: Vec<u32>,
    /// How long responses were counted for.
    measured: Duration,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.measured.as_secs_f64()
    }

    fn merge(&mut self, other: Run) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latencies_us.extend(other.latencies_us);
        self.measured += other.measured;
        self.server_cpu = match (self.server_cpu, other.server_cpu) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// Server CPU time per good response, in microseconds.
    fn cpu_per_request_us(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.ok > 0).then(|| cpu.as_secs_f64() * 1e6 / self.ok as f64)
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }
}

fn report(name: &str, run: &Run) {
    let cpu = match run.cpu_per_request_us() {
        Some(us) => format!("{us:.1} us"),
        None => "unknown".to_owned(),
    };
    println!(
        "  {name:<20} {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  server CPU/req {cpu}  errors {}",
        run.per_second(),
        run.percentile_ms(0.50),
        run.percentile_ms(0.99),
        run.errors
    );
    if let Some(e) = &run.first_error {
        println!("  {name:<20} first error: {e}");
    }
}

/// When responses start to count, and when the run stops.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

/// One connection's loop: request, check the response, repeat until the window ends;
/// reconnects after a transport error.
async fn drive(addr: SocketAddr, request: Arc<[u8]>, expected: Bytes, window: Window) -> Run {
    let mut run = Run::default();
    let mut conn: Option<Connection> = None;
    loop {
        let sent = Instant::now();
        if sent >= window.end {
            return run;
        }
        let outcome = match conn.as_mut() {
            Some(c) => checked_exchange(c, &request, &expected).await,
            None => match Connection::open(addr).await {
                Ok(c) => {
                    conn = Some(c);
                    continue;
                }
                Err(e) => Err(Failure::Io(e)),
            },
        };
        let done = Instant::now();
        match outcome {
            Ok(()) if done >= window.start && done < window.end => {
                run.ok += 1;
                let us = done.duration_since(sent).as_micros();
                run.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
            }
            Ok(()) => {}
            Err(failure) => {
                run.errors += 1;
                run.first_error.get_or_insert_with(|| failure.to_string());
                if matches!(failure, Failure::Io(_)) {
                    conn = None;
                }
            }
        }
    }
}

enum Failure {
    Io(std::io::Error),
    Status(u16),
    Body { len: usize },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Io(e) => write!(f, "transport: {e}"),
            Failure::Status(status) => write!(f, "status {status}, not 200"),
            Failure::Body { len } => write!(f, "a {len} byte body, not the market's bytes"),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// One request on `conn`; anything but a 200 carrying exactly `expected` is a failure.
async fn checked_exchange(
    conn: &mut Connection,
    request: &[u8],
    expected: &[u8],
) -> Result<(), Failure> {
    let response = tokio::time::timeout(RESPONSE_TIMEOUT, conn.exchange(request))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no response"))??;
    if response.status != 200 {
        return Err(Failure::Status(response.status));
    }
    if response.body != expected {
        return Err(Failure::Body {
            len: response.body.len(),
        });
    }
    Ok(())
}
