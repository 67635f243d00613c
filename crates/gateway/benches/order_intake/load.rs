//! The load itself: every client sends its next batch on its own keep-alive connection as soon
//! as its last is answered, and each answer is checked byte by byte against the batch.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::{Connection, CpuSource};
use crate::{Batch, LoadClient, Run, RESPONSE_TIMEOUT};

/// When responses start to count, and when the clients stop sending.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

/// Loads the gateway for `settle` (checked, not counted) then `measured`, every client
/// sending its next batch as soon as its last is answered.
pub(crate) fn load(
    runtime: &tokio::runtime::Runtime,
    clients: &mut Vec<LoadClient>,
    addr: SocketAddr,
    settle: Duration,
    measured: Duration,
    gateway_cpu: &CpuSource,
) -> Run {
    let own_cpu = CpuSource::Process(std::process::id());
    let mut run = runtime.block_on(async {
        let start = Instant::now() + settle;
        let window = Window {
            start,
            end: start + measured,
        };
        let tasks: Vec<_> = clients
            .drain(..)
            .map(|c| tokio::spawn(drive(c, addr, window)))
            .collect();
        tokio::time::sleep_until(start.into()).await;
        let before = (gateway_cpu.used(), own_cpu.used(), machine_busy());
        let mut run = Run::default();
        for task in tasks {
            let (client, r) = task.await.expect("a client task panicked");
            clients.push(client);
            run.merge(r);
        }
        if !measured.is_zero() {
            let diff = |a: Option<Duration>, b: Option<Duration>| a.zip(b).map(|(a, b)| a - b);
            run.gateway_cpu = diff(gateway_cpu.used(), before.0);
            run.client_cpu = diff(own_cpu.used(), before.1);
            run.machine_cpu = diff(machine_busy(), before.2);
        }
        run
    });
    run.measured = measured;
    run
}

/// One client's loop: send the next batch, check the answer, repeat until the window ends;
/// reconnects after a transport error.
async fn drive(mut client: LoadClient, addr: SocketAddr, window: Window) -> (LoadClient, Run) {
    let mut run = Run::default();
    loop {
        let sent = Instant::now();
        if sent >= window.end {
            // The next round may come after longer than the server keeps an idle connection.
            client.conn = None;
            return (client, run);
        }
        let conn = match client.conn.as_mut() {
            Some(c) => c,
            None => match Connection::open(addr).await {
                Ok(c) => client.conn.insert(c),
                Err(e) => {
                    run.errors += 1;
                    run.first_error
                        .get_or_insert_with(|| format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Some(batch) = client.batches.get(client.next) else {
            run.exhausted = true;
            return (client, run);
        };
        client.next += 1;
        client.out.clear();
        client.out.extend_from_slice(&client.head);
        client
            .out
            .extend_from_slice(format!("{}\r\n\r\n", batch.body.len()).as_bytes());
        client.out.extend_from_slice(&batch.body);
        run.sent += batch.needles.len() as u64;
        let outcome = match tokio::time::timeout(RESPONSE_TIMEOUT, conn.exchange(&client.out)).await
        {
            Ok(Ok(response)) => check(response.status, response.body, batch),
            Ok(Err(e)) => Err(Failure::Io(e.to_string())),
            Err(_) => Err(Failure::Io("no response".to_owned())),
        };
        let done = Instant::now();
        match outcome {
            Ok(accepted) => {
                run.accepted_total += accepted;
                if done >= window.start && done < window.end {
                    run.accepted += accepted;
                    run.requests += 1;
                    let us = done.duration_since(sent).as_micros();
                    run.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                }
            }
            Err(failure) => {
                run.errors += 1;
                if let Failure::Io(_) = failure {
                    client.conn = None;
                }
                run.first_error.get_or_insert_with(|| failure.to_string());
            }
        }
    }
}

enum Failure {
    Io(String),
    Status(u16, String),
    Results(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Io(e) => write!(f, "transport: {e}"),
            Failure::Status(status, body) => write!(f, "status {status}, not 200: {body}"),
            Failure::Results(what) => write!(f, "results: {what}"),
        }
    }
}

/// A 200 whose results are the batch's orders, in item order, each `OPEN`: the number of
/// orders accepted. A byte scan rather than a JSON parse, so the client stays cheap.
fn check(status: u16, body: &[u8], batch: &Batch) -> Result<u64, Failure> {
    let excerpt = || String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    if status != 200 {
        return Err(Failure::Status(status, excerpt()));
    }
    if find(body, b"\"error\"").is_some() {
        return Err(Failure::Results(format!(
            "an order was refused: {}",
            excerpt()
        )));
    }
    let mut from = 0;
    for (i, needle) in batch.needles.iter().enumerate() {
        match find(&body[from..], needle) {
            Some(at) => from += at + needle.len(),
            None => {
                return Err(Failure::Results(format!(
                    "item {i} is not the batch's order {i}: {}",
                    excerpt()
                )))
            }
        }
    }
    let open = count(body, b"\"status\":\"OPEN\"");
    if open != batch.needles.len() {
        return Err(Failure::Results(format!(
            "{open} OPEN of {} orders: {}",
            batch.needles.len(),
            excerpt()
        )));
    }
    Ok(open as u64)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut from = 0;
    while let Some(at) = find(&haystack[from..], needle) {
        n += 1;
        from += at + needle.len();
    }
    n
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
