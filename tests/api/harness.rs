//! The harness every test uses: the real `gateway` binary on a free port, in a temp dir of its own.
//!
//! `Gateway::start` spawns the binary with `FS_HTTP_ADDR=127.0.0.1:0` in a fresh working
//! directory (so the default SQLite file lands in that directory's `data/`), learns the port from
//! the one stdout line it prints, and waits until `/health` answers. Its stderr (the log) is kept
//! in a buffer the test can read. Dropping the value sends SIGTERM and waits for the exit.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use tempfile::TempDir;

/// The operators' token the admin tests configure (at least 16 characters).
pub const ADMIN_TOKEN: &str = "adm-tok-7f3c9e21b8d4a605";
/// Dev mode's demo market, on chain 56.
pub const DEMO_CONDITION_ID: &str =
    "0xde30000000000000000000000000000000000000000000000000000000000001";

/// How long a start may take before the test fails (2 cores, many gateways in parallel).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long SIGTERM may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Settings the gateway reads from its environment; the test's own environment must not leak in.
fn inherited_setting(name: &str) -> bool {
    name.starts_with("FS_") || matches!(name, "DATABASE_URL" | "REDIS_URL" | "RUST_LOG")
}

/// The log the process writes to stderr, read as it arrives.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<String>>);

impl Log {
    fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn reader(&self, mut stderr: impl Read + Send + 'static) -> JoinHandle<()> {
        let log = self.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match stderr.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => log
                        .0
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
        })
    }
}

/// A process that exited without ever listening (a bad configuration, for instance).
#[derive(Debug)]
pub struct Exited {
    pub status: ExitStatus,
    pub stderr: String,
    pub elapsed: Duration,
}

/// What a stopped gateway leaves behind: how it ended, its log, and its working directory
/// (to start another gateway on the same data).
pub struct Stopped {
    pub status: ExitStatus,
    pub elapsed: Duration,
    pub logs: String,
    pub dir: TempDir,
}

/// How to launch: environment, arguments and working directory.
#[derive(Default)]
pub struct Launch {
    env: Vec<(String, String)>,
    args: Vec<String>,
    dir: Option<TempDir>,
}

impl Launch {
    pub fn env(env: &[(&str, &str)]) -> Launch {
        Launch {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Launch::default()
        }
    }

    pub fn args(mut self, args: &[&str]) -> Launch {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self
    }

    /// Run in this directory instead of a fresh one.
    pub fn dir(mut self, dir: TempDir) -> Launch {
        self.dir = Some(dir);
        self
    }
}

pub struct Gateway {
    child: Option<Child>,
    dir: Option<TempDir>,
    log: Log,
    log_reader: Option<JoinHandle<()>>,
    pub base_url: String,
    client: reqwest::Client,
}

impl Gateway {
    /// Starts a gateway with these environment variables in a fresh directory; panics if it
    /// does not come up.
    pub async fn start(env: &[(&str, &str)]) -> Gateway {
        Gateway::launch(Launch::env(env)).await
    }

    /// Starts another gateway in `dir` (the directory of a stopped one), on the same data.
    pub async fn start_in(dir: TempDir, env: &[(&str, &str)]) -> Gateway {
        Gateway::launch(Launch::env(env).dir(dir)).await
    }

    pub async fn launch(launch: Launch) -> Gateway {
        match Gateway::try_launch(launch).await {
            Ok(gw) => gw,
            Err(e) => panic!(
                "the gateway exited before listening ({}):\n{}",
                e.status, e.stderr
            ),
        }
    }

    /// Starts a gateway, or reports how the process ended when it exits before listening.
    pub async fn try_start(env: &[(&str, &str)], args: &[&str]) -> Result<Gateway, Exited> {
        Gateway::try_launch(Launch::env(env).args(args)).await
    }

    pub async fn try_launch(launch: Launch) -> Result<Gateway, Exited> {
        let dir = match launch.dir {
            Some(d) => d,
            None => tempfile::tempdir().expect("create a temp dir"),
        };
        let started = Instant::now();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
        for (name, _) in std::env::vars() {
            if inherited_setting(&name) {
                cmd.env_remove(name);
            }
        }
        cmd.env("FS_HTTP_ADDR", "127.0.0.1:0")
            .env("FS_WS_ADDR", "127.0.0.1:0")
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(&launch.args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn the gateway binary");
        let log = Log::default();
        let log_reader = log.reader(child.stderr.take().expect("piped stderr"));
        let stdout = child.stdout.take().expect("piped stdout");
        // The first stdout line names the bound address; the rest is drained so the pipe never fills.
        let (tx, rx) = tokio::sync::oneshot::channel::<Option<String>>();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            for _ in lines {}
        });
        let first = tokio::time::timeout(START_TIMEOUT, rx).await;
        let mut gw = Gateway {
            child: Some(child),
            dir: Some(dir),
            log,
            log_reader: Some(log_reader),
            base_url: String::new(),
            client: reqwest::Client::builder()
                // No idle connections: a test's requests never keep the server from stopping.
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(20))
                .build()
                .expect("build an HTTP client"),
        };
        let line = match first {
            Ok(Ok(Some(line))) => line,
            Ok(_) => {
                // stdout closed without the line: the process is exiting.
                let stopped = gw.wait_for_exit(STOP_TIMEOUT, started);
                return Err(Exited {
                    status: stopped.status,
                    stderr: stopped.logs,
                    elapsed: stopped.elapsed,
                });
            }
            Err(_) => panic!(
                "the gateway printed no listening line within {START_TIMEOUT:?}; log:\n{}",
                gw.logs()
            ),
        };
        let addr = line
            .strip_prefix("gateway listening http=")
            .unwrap_or_else(|| panic!("unexpected first stdout line {line:?}"))
            .trim()
            .to_owned();
        gw.base_url = format!("http://{addr}");
        gw.wait_healthy().await;
        Ok(gw)
    }

    async fn wait_healthy(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(r) = self.client.get(self.url("/health")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "/health did not answer 200 within {START_TIMEOUT:?}; log:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything the process has logged so far.
    pub fn logs(&self) -> String {
        self.log.text()
    }

    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the working directory").path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Sends SIGTERM and waits for the exit (killing the process after a timeout).
    pub fn stop(mut self) -> Stopped {
        let started = Instant::now();
        self.terminate();
        self.wait_for_exit(STOP_TIMEOUT, started)
    }

    /// Kills the process at once (SIGKILL): no shutdown runs, nothing buffered is flushed.
    pub fn kill(mut self) -> Stopped {
        let started = Instant::now();
        if let Some(child) = &mut self.child {
            child.kill().expect("SIGKILL the gateway");
        }
        self.wait_for_exit(STOP_TIMEOUT, started)
    }

    fn terminate(&self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
    }

    fn wait_for_exit(&mut self, timeout: Duration, since: Instant) -> Stopped {
        let mut child = self.child.take().expect("a process to wait for");
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if since.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = child.kill();
                    break child.wait().expect("wait for the killed gateway");
                }
            }
        };
        let elapsed = since.elapsed();
        if let Some(reader) = self.log_reader.take() {
            let _ = reader.join();
        }
        Stopped {
            status,
            elapsed,
            logs: self.logs(),
            dir: self.dir.take().expect("the working directory"),
        }
    }

    // ---- HTTP ----

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn send(&self, rb: RequestBuilder) -> Resp {
        let r = rb.send().await.expect("the request reaches the gateway");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("read the response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(Method::GET, path)).await
    }

    /// GET with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut rb = self.request(Method::GET, path);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        self.send(rb).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(Method::PATCH, path).json(body))
            .await
    }

    /// POST with `Authorization: Bearer ADMIN_TOKEN`.
    pub async fn admin_post(&self, path: &str, body: &Value) -> Resp {
        self.send(
            self.request(Method::POST, path)
                .bearer_auth(ADMIN_TOKEN)
                .json(body),
        )
        .await
    }

    /// PATCH with `Authorization: Bearer ADMIN_TOKEN`.
    pub async fn admin_patch(&self, path: &str, body: &Value) -> Resp {
        self.send(
            self.request(Method::PATCH, path)
                .bearer_auth(ADMIN_TOKEN)
                .json(body),
        )
        .await
    }

    /// Creates a market through the admin API, asserting 201.
    pub async fn create_market(&self, body: &Value) -> Value {
        let r = self.admin_post("/admin/v1/markets", body).await;
        assert_eq!(r.status, 201, "create market: {}", r.text);
        r.body
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.terminate();
            let stopped = self.wait_for_exit(STOP_TIMEOUT, Instant::now());
            // A failing test shows what the gateway logged.
            if std::thread::panicking() {
                eprintln!(
                    "---- gateway log ({}) ----\n{}",
                    stopped.status, stopped.logs
                );
            }
        }
    }
}

/// A response: status, headers, the raw text and the body parsed as JSON (`Null` if it is not).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn correlation_id(&self) -> &str {
        self.header("x-correlation-id")
            .unwrap_or_else(|| panic!("no x-correlation-id header on {self:?}"))
    }
}

/// The value of one sample in a `/metrics` text, by its series (name and labels as printed).
pub fn metric_sample<T: std::str::FromStr>(metrics: &str, series: &str) -> Option<T> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Checks the whole error envelope: the HTTP status, exactly the four fields, `status_code`
/// equal to the status, the code, a message containing `message_contains`, and a non-empty
/// `correlation_id` equal to the `x-correlation-id` header.
#[track_caller]
pub fn assert_envelope(resp: &Resp, status: u16, code: &str, message_contains: &str) {
    assert_eq!(resp.status, status, "HTTP status of {}", resp.text);
    let obj = resp
        .body
        .as_object()
        .unwrap_or_else(|| panic!("the body is not a JSON object: {:?}", resp.text));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["code", "correlation_id", "message", "status_code"],
        "envelope fields of {}",
        resp.text
    );
    assert_eq!(
        resp.body["status_code"].as_u64(),
        Some(u64::from(status)),
        "status_code of {}",
        resp.text
    );
    assert_eq!(resp.body["code"], code, "code of {}", resp.text);
    let message = resp.body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("message is not a string: {}", resp.text));
    assert!(!message.is_empty(), "empty message: {}", resp.text);
    assert!(
        message.contains(message_contains),
        "message {message:?} does not contain {message_contains:?}"
    );
    let cid = resp.body["correlation_id"]
        .as_str()
        .unwrap_or_else(|| panic!("correlation_id is not a string: {}", resp.text));
    assert!(!cid.is_empty(), "empty correlation_id: {}", resp.text);
    assert_eq!(
        resp.header("x-correlation-id"),
        Some(cid),
        "the x-correlation-id header must equal the body's correlation_id"
    );
    let content_type = resp.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type:?} of an error"
    );
}

/// A 32-character lower-case hex id, as the gateway generates.
pub fn is_generated_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---- fixtures ----

/// The condition id of test market `n`.
pub fn condition_id(n: u64) -> String {
    format!("0xc0de{n:060x}")
}

/// The YES and NO token ids of test market `n` (unique across markets).
pub fn token_ids(n: u64) -> (String, String) {
    (
        (7_000_000 + 2 * n + 1).to_string(),
        (7_000_000 + 2 * n).to_string(),
    )
}

/// A valid admin create-market body for test market `n`.
pub fn market_body(n: u64) -> Value {
    let (yes, no) = token_ids(n);
    serde_json::json!({
        "condition_id": condition_id(n),
        "chain_id": 56,
        "question": format!("Test market {n}: will it resolve YES?"),
        "status": "OPEN",
        "tokens": [
            {"outcome": 1, "token_id": yes, "decimals": 18},
            {"outcome": 0, "token_id": no, "decimals": 18}
        ],
        "collateral_token": "0x55d398326f99059ff775485246999027b3197955",
        "ctf_exchange_address": "0x00000000000000000000000000000000000c7f01",
        "conditional_tokens_address": "0x00000000000000000000000000000000000c7f02",
        "fee_rate_bps": 0,
        "min_order_size": "5",
        "tick_size": "0.01",
        "end_date": "2030-01-01T00:00:00Z",
        "summary": format!("Summary of market {n}."),
        "rules": format!("Rules of market {n}.")
    })
}

/// `/v1/markets/{condition_id}?chain_id=56`, with `suffix` (such as `/book`) after the id.
pub fn market_path(condition_id: &str, suffix: &str) -> String {
    format!("/v1/markets/{condition_id}{suffix}?chain_id=56")
}
