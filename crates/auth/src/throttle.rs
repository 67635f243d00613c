//! Brute-force protection: failed authentications are counted per source IP and per (source IP,
//! key id) pair in fixed windows; past a subject's limit, every attempt of that subject answers
//! 429 with `Retry-After` until its window ends. Windows last [`WINDOW`] from their first failure.
//!
//! Nothing is counted per key id alone: a key id is public, so a count of its failures from
//! everywhere would let anyone lock its holder out. Failures from one address only ever throttle
//! that address. The pair's limit is below the address's so that one client retrying a stale
//! secret is stopped on its own before it throttles the other clients behind the same address (a
//! NAT or an office egress); the address's limit stops one address spraying many key ids.
//! Only failures count, so a client whose credentials are good is never throttled.
//!
//! A check and the failure it may record take the lock separately, so attempts in flight at the
//! same moment all pass the check: a subject can exceed its limit by the attempts it has in
//! flight at once, which the per-address connection cap bounds. The gateway passes IPv6
//! addresses as their /64 network, so one client cannot spread its failures over addresses.
//!
//! The table is bounded: ordered by window start, so expired windows are dropped from its front
//! and, when it is full of live windows, the oldest ones are evicted. Never cleared whole: that
//! would un-throttle every address at once, so filling it would be a way to reset it.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hashlink::LinkedHashMap;

/// Failures allowed per window from one source IP, whatever the credentials.
pub const MAX_FAILURES_PER_IP: u32 = 100;
/// Failures allowed per window from one source IP for one key id.
pub const MAX_FAILURES_PER_KEY_FROM_IP: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Tracked subjects at most; beyond it the oldest windows are evicted.
pub const CAPACITY: usize = 100_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Ip(IpAddr),
    /// A key id presented from an address.
    KeyFromIp(IpAddr, String),
}

impl Subject {
    /// The subjects a failure from `ip`, naming `key_id` if any, counts against.
    pub fn of(ip: IpAddr, key_id: Option<&str>) -> Vec<Subject> {
        let mut subjects = Vec::with_capacity(2);
        subjects.push(Subject::Ip(ip));
        if let Some(k) = key_id {
            subjects.push(Subject::KeyFromIp(ip, k.to_owned()));
        }
        subjects
    }
}

#[derive(Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// The limits of a [`Throttle`].
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_ip: u32,
    pub per_key_from_ip: u32,
    pub window: Duration,
    pub capacity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_ip: MAX_FAILURES_PER_IP,
            per_key_from_ip: MAX_FAILURES_PER_KEY_FROM_IP,
            window: WINDOW,
            capacity: CAPACITY,
        }
    }
}

pub struct Throttle {
    /// In order of window start, oldest first.
    windows: Mutex<LinkedHashMap<Subject, Window>>,
    limits: Limits,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(Limits::default())
    }
}

impl Throttle {
    pub fn new(limits: Limits) -> Throttle {
        Throttle {
            windows: Mutex::new(LinkedHashMap::new()),
            limits,
        }
    }

    fn limit_of(&self, subject: &Subject) -> u32 {
        match subject {
            Subject::Ip(_) => self.limits.per_ip,
            Subject::KeyFromIp(..) => self.limits.per_key_from_ip,
        }
    }

    /// `Err(seconds to wait)` when any subject is over its limit.
    pub fn check(&self, subjects: &[Subject]) -> Result<(), u64> {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.is_empty() {
            return Ok(());
        }
        let mut wait = None;
        for s in subjects {
            if let Some(w) = windows.get(s) {
                let age = w.started.elapsed();
                if age < self.limits.window && w.failures >= self.limit_of(s) {
                    let left = (self.limits.window - age).as_secs_f64().ceil() as u64;
                    wait = Some(wait.unwrap_or(0).max(left.max(1)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    pub fn record_failure(&self, subjects: &[Subject]) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let window = self.limits.window;
        // Ordered by start: every expired window is at the front.
        while windows
            .front()
            .is_some_and(|(_, w)| now.duration_since(w.started) >= window)
        {
            windows.pop_front();
        }
        for s in subjects {
            if let Some(w) = windows.get_mut(s) {
                w.failures = w.failures.saturating_add(1);
                continue;
            }
            while windows.len() >= self.limits.capacity.max(1) {
                windows.pop_front();
            }
            windows.insert(
                s.clone(),
                Window {
                    started: now,
                    failures: 1,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn limits(per_ip: u32, per_key_from_ip: u32, window: Duration, capacity: usize) -> Limits {
        Limits {
            per_ip,
            per_key_from_ip,
            window,
            capacity,
        }
    }

    #[test]
    fn the_limit_applies_per_subject_and_the_window_ends() {
        let t = Throttle::new(limits(3, 3, Duration::from_millis(200), 100));
        let ip = Subject::Ip(ip("10.0.0.1"));
        let other = Subject::Ip("10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(t.check(std::slice::from_ref(&ip)).is_ok());
            t.record_failure(std::slice::from_ref(&ip));
        }
        assert_eq!(t.check(std::slice::from_ref(&ip)), Err(1));
        assert!(t.check(std::slice::from_ref(&other)).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(t.check(std::slice::from_ref(&ip)).is_ok());
    }

    #[test]
    fn a_key_id_is_throttled_per_address_never_across_addresses() {
        let t = Throttle::new(limits(10, 2, WINDOW, 100));
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        for _ in 0..2 {
            t.record_failure(&Subject::of(a, Some("fs_key_victim")));
        }
        assert!(t.check(&Subject::of(a, Some("fs_key_victim"))).is_err());
        // The same address with another key, and the key from another address: not throttled.
        assert!(t.check(&Subject::of(a, Some("fs_key_other"))).is_ok());
        assert!(t.check(&Subject::of(b, Some("fs_key_victim"))).is_ok());
        // Failures for one key id from many addresses never add up.
        for n in 0..50u8 {
            t.record_failure(&Subject::of(IpAddr::from([10, 1, 0, n]), Some("fs_key_x")));
        }
        assert!(t.check(&Subject::of(b, Some("fs_key_x"))).is_ok());
    }

    #[test]
    fn a_full_table_evicts_its_oldest_windows_and_keeps_the_rest() {
        let t = Throttle::new(limits(1, 1, WINDOW, 3));
        let subject = |n: u8| Subject::Ip(IpAddr::from([10, 0, 0, n]));
        for n in 1..=3 {
            t.record_failure(&[subject(n)]);
        }
        assert!((1..=3).all(|n| t.check(&[subject(n)]).is_err()));
        // A fourth subject evicts the first only; a fifth, the second.
        t.record_failure(&[subject(4)]);
        assert!(t.check(&[subject(1)]).is_ok());
        assert!((2..=4).all(|n| t.check(&[subject(n)]).is_err()));
        t.record_failure(&[subject(5)]);
        assert!(t.check(&[subject(2)]).is_ok());
        assert!((3..=5).all(|n| t.check(&[subject(n)]).is_err()));
        assert_eq!(t.windows.lock().unwrap().len(), 3);
    }

    #[test]
    fn a_failure_on_a_tracked_subject_does_not_move_its_window() {
        let t = Throttle::new(limits(5, 5, WINDOW, 2));
        let (a, b, c) = (
            Subject::Ip(ip("10.0.0.1")),
            Subject::Ip(ip("10.0.0.2")),
            Subject::Ip(ip("10.0.0.3")),
        );
        t.record_failure(std::slice::from_ref(&a));
        t.record_failure(std::slice::from_ref(&b));
        // More failures of `a` keep its window's start: it is still the oldest.
        for _ in 0..4 {
            t.record_failure(std::slice::from_ref(&a));
        }
        assert!(t.check(std::slice::from_ref(&a)).is_err());
        t.record_failure(std::slice::from_ref(&c));
        assert!(t.check(&[a]).is_ok(), "the oldest window was evicted");
        let windows = t.windows.lock().unwrap();
        assert!(windows.contains_key(&b) && windows.contains_key(&c));
    }

    #[test]
    fn expired_windows_leave_the_table_first() {
        let t = Throttle::new(limits(1, 1, Duration::from_millis(50), 10));
        for n in 0..5u8 {
            t.record_failure(&[Subject::Ip(IpAddr::from([10, 0, 0, n]))]);
        }
        std::thread::sleep(Duration::from_millis(60));
        t.record_failure(&[Subject::Ip(ip("10.0.1.1"))]);
        assert_eq!(t.windows.lock().unwrap().len(), 1);
    }
}
