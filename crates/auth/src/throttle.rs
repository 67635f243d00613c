//! Brute-force protection: failed authentications are counted per source IP and per key id in
//! fixed windows; past the limit, every attempt from that IP or on that key id answers 429 with
//! `Retry-After` until the window ends. Windows last [`WINDOW`] at most from their first failure.
//! Only failures count, so a client whose credentials are good is never throttled.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per window, per IP and per key id.
pub const MAX_FAILURES: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Tracked subjects at most; beyond it the oldest windows are dropped.
const CAPACITY: usize = 100_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Ip(IpAddr),
    Key(String),
}

#[derive(Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

pub struct Throttle {
    windows: Mutex<HashMap<Subject, Window>>,
    max_failures: u32,
    window: Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(MAX_FAILURES, WINDOW)
    }
}

impl Throttle {
    pub fn new(max_failures: u32, window: Duration) -> Throttle {
        Throttle {
            windows: Mutex::new(HashMap::new()),
            max_failures,
            window,
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
                if age < self.window && w.failures >= self.max_failures {
                    let left = (self.window - age).as_secs_f64().ceil() as u64;
                    wait = Some(wait.unwrap_or(0).max(left.max(1)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    pub fn record_failure(&self, subjects: &[Subject]) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if windows.len() >= CAPACITY {
            let window = self.window;
            windows.retain(|_, w| now.duration_since(w.started) < window);
            if windows.len() >= CAPACITY {
                windows.clear();
            }
        }
        for s in subjects {
            let w = windows.entry(s.clone()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(w.started) >= self.window {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures = w.failures.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_subject_and_the_window_ends() {
        let t = Throttle::new(3, Duration::from_millis(200));
        let ip = Subject::Ip("10.0.0.1".parse().unwrap());
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
}
