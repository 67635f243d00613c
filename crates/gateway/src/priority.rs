//! Thread priorities: the HTTP workers yield the CPU to the acceptance writer.
//!
//! Every `POST /v1/orders` waits for one serial step, the acceptance writer's group commit
//! (a tokio task on the main thread, plus SQLite's connection thread or PostgreSQL's server
//! processes). The HTTP workers spend most of their CPU on signature recovery, which runs in
//! parallel and can wait. When the cores are saturated and every thread gets an equal share,
//! the writer runs at a fraction of a core and throughput follows it down; at a lower priority
//! the workers take whatever CPU the writer leaves, which is all of it when nothing waits to be
//! committed. The measurement is in docs/perf-log.md.

/// How far below the process's priority the HTTP workers run (nice(2) increment). CFS gives a
/// thread at +10 about a tenth of the CPU weight of one at 0.
pub const HTTP_WORKER_NICENESS: i32 = 10;

/// Lowers the calling thread's priority by `by` (Linux sets nice values per thread). Raising
/// a priority needs privileges; lowering it never does, so this only fails on exotic systems,
/// where the thread keeps its priority and the gateway works as before.
#[allow(unsafe_code)]
pub fn lower_current_thread(by: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getpriority/setpriority only read and set the calling thread's nice value.
        unsafe {
            *libc::__errno_location() = 0;
            let current = libc::getpriority(libc::PRIO_PROCESS, 0);
            if current == -1 && *libc::__errno_location() != 0 {
                return;
            }
            if libc::setpriority(libc::PRIO_PROCESS, 0, current + by) != 0 {
                tracing::debug!(by, "could not lower an HTTP worker's priority");
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = by;
}
