//! The open-file limit, and how many connections it leaves room for.
//!
//! Every connection holds a file descriptor. When the process runs out, accepting fails (actix
//! logs each failure and retries), and so does everything else that opens a file or a socket:
//! database connections, Redis, the log. So the server stops accepting before that point:
//! each worker takes at most its share of the limit, minus a reserve for everything else, and
//! beyond it new connections wait in the kernel's backlog until one closes.

/// Descriptors kept for what is not a client connection: the database pools (each SQLite
/// connection holds its file, journal and shared memory), Redis, Privy's HTTP client, the
/// listener, the log, and each runtime's own event descriptors.
const RESERVED: u64 = 256;
const RESERVED_PER_WORKER: u64 = 8;

/// actix's own default per worker, kept as the ceiling.
const ACTIX_MAX_PER_WORKER: u64 = 25_000;

/// Never set the soft limit above this, even when the hard limit allows it.
const SOFT_LIMIT_CEILING: u64 = 1 << 20;

/// Raises the soft open-file limit to the hard limit (as Go's runtime does at start; nothing
/// here uses `select(2)`, the reason the soft default is low) and returns the soft limit in
/// force, or `None` when it cannot be read.
#[allow(unsafe_code)]
pub fn raise_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit read and write only the struct passed by reference.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            let wanted = limit.rlim_max.min(SOFT_LIMIT_CEILING);
            if wanted > limit.rlim_cur {
                let raised = libc::rlimit {
                    rlim_cur: wanted,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit.rlim_cur = wanted;
                }
            }
        }
        Some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// Connections each of `workers` may hold within `open_files` descriptors (actix's default
/// when the limit is unknown).
pub fn connections_per_worker(open_files: Option<u64>, workers: usize) -> usize {
    let workers = u64::try_from(workers.max(1)).unwrap_or(u64::MAX);
    let per_worker = match open_files {
        None => ACTIX_MAX_PER_WORKER,
        Some(limit) => {
            let reserve = RESERVED.saturating_add(RESERVED_PER_WORKER.saturating_mul(workers));
            (limit.saturating_sub(reserve) / workers).clamp(1, ACTIX_MAX_PER_WORKER)
        }
    };
    usize::try_from(per_worker).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workers_share_what_the_reserve_leaves() {
        assert_eq!(
            connections_per_worker(Some(20_000), 4),
            (20_000 - 256 - 32) / 4
        );
        assert_eq!(connections_per_worker(Some(1024), 4), (1024 - 288) / 4);
        assert_eq!(connections_per_worker(Some(100), 4), 1);
        assert_eq!(connections_per_worker(Some(u64::MAX), 2), 25_000);
        assert_eq!(connections_per_worker(None, 4), 25_000);
    }

    #[test]
    fn the_soft_limit_is_readable_and_never_lowered() {
        let before = raise_limit().expect("the limit is readable");
        assert!(raise_limit().expect("the limit is readable") >= before);
    }
}
