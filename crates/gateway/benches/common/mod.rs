//! What the gateway's benches share: the real `gateway` binary in a temp directory, a raw
//! keep-alive HTTP/1.1 client, CPU time from `/proc`, and settings from the environment.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Dev mode seeds this market on chain 56.
pub const DEMO_CONDITION_ID: &str =
    "0xde30000000000000000000000000000000000000000000000000000000000001";

/// Settings the gateway reads from its environment; the bench's own must not leak in.
pub fn gateway_setting(name: &str) -> bool {
    name.starts_with("FS_") || matches!(name, "DATABASE_URL" | "REDIS_URL")
}

/// The real `gateway` binary in dev mode, in a temp directory of its own; killed on drop.
pub struct GatewayProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub dir: TempDir,
}

impl GatewayProcess {
    /// Starts the gateway in dev mode on a free port, with `env` on top; returns once it
    /// listens. Its log goes to `gateway.log` in its directory.
    pub fn start(env: &[(&str, &str)]) -> GatewayProcess {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let log =
            File::create(dir.path().join("gateway.log")).expect("create the gateway's log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_gateway"));
        // Settings from the bench's own environment must not reconfigure the gateway.
        for (name, _) in std::env::vars() {
            if gateway_setting(&name) {
                command.env_remove(name);
            }
        }
        let mut child = command
            .current_dir(dir.path())
            .env("FS_DEV_MODE", "true")
            .env("FS_HTTP_ADDR", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn the gateway binary");
        let stdout = child.stdout.take().expect("the gateway's stdout is piped");
        let mut gateway = GatewayProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
        };
        // The gateway prints this line once it is listening.
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read the gateway's stdout");
            if let Some(addr) = line.strip_prefix("gateway listening http=") {
                gateway.addr = addr.parse().expect("the gateway prints a socket address");
                return gateway;
            }
        }
        panic!("the gateway exited before listening:\n{}", gateway.log());
    }

    /// What the gateway has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gateway.log")).unwrap_or_default()
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where to read CPU time: a whole process, this process's threads whose name starts with a
/// prefix (the in-process bare server's are `actix-rt|...` and `actix-server ...`), or every
/// core of the machine (busy time of every process).
pub enum CpuSource {
    Process(u32),
    // Only market_read has a server of its own in-process.
    #[allow(dead_code)]
    OwnThreads(&'static str),
    // Only the benches that load a whole gateway weigh it against the machine.
    #[allow(dead_code)]
    Machine,
}

impl CpuSource {
    /// User plus system CPU time so far, from `/proc` (`None` where there is none).
    pub fn used(&self) -> Option<Duration> {
        match self {
            CpuSource::Process(pid) => proc_cpu(&format!("/proc/{pid}/stat")),
            CpuSource::OwnThreads(prefix) => {
                let mut total = Duration::ZERO;
                for task in std::fs::read_dir("/proc/self/task").ok()? {
                    let dir = task.ok()?.path();
                    let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
                    if name.starts_with(prefix) {
                        total += proc_cpu(&dir.join("stat").to_string_lossy())?;
                    }
                }
                Some(total)
            }
            CpuSource::Machine => machine_busy(),
        }
    }
}

/// Busy time of all cores so far (`/proc/stat`: everything but idle and iowait).
fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|t| t.parse().unwrap_or(0))
        .collect();
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some(Duration::from_millis((total - idle) * 10))
}

/// `utime + stime` of a `/proc/.../stat` file. They count in USER_HZ ticks, which Linux fixes
/// at 100 per second for every program.
fn proc_cpu(stat_path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // The command name (field 2) may hold spaces; the fields after it start with field 3.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// The 1, 5 and 15 minute load averages and the core count, for the report: other work on
/// the machine skews every figure.
pub fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let averages: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "load average {} on {} cores",
        averages.join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

/// Whether this is a smoke run, which only checks that the bench works: `cargo bench` passes
/// `--bench`; `cargo test --benches` does not.
pub fn smoke_run() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// A whole number from the environment, or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}")),
        Err(_) => default,
    }
}

/// The load client's runtime: one thread, like `wrk -t1`.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the client runtime")
}

/// Latencies in microseconds, sorted, at percentile `p` (0..=1) in milliseconds.
pub fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_us.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted_us[i]) / 1000.0
}

pub struct Response<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

/// A keep-alive HTTP/1.1 connection that sends one request at a time and frames each response
/// by its `Content-Length` (every server here sends one for a body known in advance).
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends `request` (a whole HTTP/1.1 request) and reads the response to it.
    pub async fn exchange(&mut self, request: &[u8]) -> std::io::Result<Response<'_>> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let head_len = loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            self.read_more().await?;
        };
        let (status, content_length) = parse_head(&self.buf[..head_len])?;
        let total = head_len + content_length;
        while self.buf.len() < total {
            self.read_more().await?;
        }
        if self.buf.len() > total {
            // Nothing was pipelined, so bytes past the body mean the framing is wrong.
            return Err(protocol_error("bytes after the response body"));
        }
        Ok(Response {
            status,
            body: &self.buf[head_len..total],
        })
    }

    async fn read_more(&mut self) -> std::io::Result<()> {
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

fn protocol_error(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}

/// The status code and `Content-Length` of a response head.
fn parse_head(head: &[u8]) -> std::io::Result<(u16, usize)> {
    let head = std::str::from_utf8(head).map_err(|_| protocol_error("a head that is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.strip_prefix("HTTP/1.1 "))
        .and_then(|l| l.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| protocol_error("no HTTP/1.1 status line"))?;
    let content_length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or_else(|| protocol_error("no Content-Length"))?;
    Ok((status, content_length))
}
