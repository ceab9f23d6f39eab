//! Login rate limiting, per account and per client address, in memory.
//!
//! Only failures count, in a sliding window. Each node limits on its own;
//! behind a load balancer the effective limit is per node, which still turns
//! an online guessing attack from millions of tries into a handful.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys are kept at most this many; older ones are dropped first when full.
const MAX_KEYS: usize = 100_000;

pub struct LoginLimiter {
    per_account: usize,
    per_address: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(per_account: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_account,
            // One address may hold several accounts (an office, a NAT).
            per_address: per_account.saturating_mul(5),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(email: &str, ip: Option<&str>) -> [(String, bool); 2] {
        [
            (format!("account:{email}"), true),
            (format!("address:{}", ip.unwrap_or("unknown")), false),
        ]
    }

    /// `Err(wait)` when this email or address has failed too often lately.
    pub fn check(&self, email: &str, ip: Option<&str>) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for (key, is_account) in Self::keys(email, ip) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_address
            };
            if let Some(times) = map.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window - now.duration_since(*oldest));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    pub fn failed(&self, email: &str, ip: Option<&str>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for (key, _) in Self::keys(email, ip) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("account:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_success_resets_the_account() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.check("a@x", Some("1.1.1.1")).is_ok());
            l.failed("a@x", Some("1.1.1.1"));
        }
        let wait = l.check("a@x", Some("2.2.2.2")).unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        assert!(
            l.check("b@x", Some("1.1.1.1")).is_ok(),
            "the address is not yet over its limit"
        );
        l.succeeded("a@x");
        assert!(l.check("a@x", Some("2.2.2.2")).is_ok());
    }
}
