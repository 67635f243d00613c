//! The load itself: every client sends its next batch on its own keep-alive connection as soon
//! as its last is answered, and each answer is checked byte by byte against the batch.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::CpuSource;
use crate::place::{connection, place, write_request, Failure};
use crate::{LoadClient, Run};

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
        let before = (
            gateway_cpu.used(),
            own_cpu.used(),
            CpuSource::Machine.used(),
        );
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
            run.machine_cpu = diff(CpuSource::Machine.used(), before.2);
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
        let conn = match connection(&mut client.conn, addr).await {
            Ok(conn) => conn,
            Err(e) => {
                run.errors += 1;
                run.first_error
                    .get_or_insert_with(|| format!("connect: {e}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Some(batch) = client.batches.get(client.next) else {
            run.exhausted = true;
            return (client, run);
        };
        client.next += 1;
        write_request(&mut client.out, &client.head, &batch.body);
        run.sent += batch.needles.len() as u64;
        let outcome = place(conn, &client.out, &batch.needles).await;
        let done = Instant::now();
        match outcome {
            Ok(accepted) => {
                run.accepted_total += accepted;
                run.last_answer = Some(done);
                client.last_accepted = Some(batch.last_hash);
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
