//! Login rate limiting, per account and per client address, in memory.
//!
//! Failures count in a sliding window; an attempt counts as one from the
//! moment it starts until it is settled, so parallel guesses are limited too. Each node limits on its own;
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

    /// Takes one attempt for this email and address, or `Err(wait)` when
    /// either has failed too often lately. The attempt counts as a failure
    /// from now on, so parallel guesses cannot all pass the check before
    /// any of them is recorded; [`LoginLimiter::settle`] says how it went.
    pub fn attempt(&self, email: &str, ip: Option<&str>) -> Result<Attempt, Duration> {
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
        if !wait.is_zero() {
            return Err(wait);
        }
        for (key, _) in Self::keys(email, ip) {
            if !map.contains_key(&key) {
                make_room(&mut map, now, self.window);
            }
            map.entry(key).or_default().push_back(now);
        }
        Ok(Attempt {
            email: email.to_string(),
            ip: ip.map(str::to_string),
            at: now,
        })
    }

    /// How an attempt went. A wrong password stays counted. A success
    /// clears the account's failures and does not count against the
    /// address. Anything else (the database was out of reach) is not held
    /// against anyone.
    pub fn settle(&self, attempt: Attempt, outcome: Outcome) {
        if outcome == Outcome::WrongCredentials {
            return;
        }
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let ip = attempt.ip.as_deref();
        for (key, is_account) in Self::keys(&attempt.email, ip) {
            if is_account && outcome == Outcome::Succeeded {
                map.remove(&key);
                continue;
            }
            if let Some(times) = map.get_mut(&key)
                && let Some(i) = times.iter().rposition(|t| *t == attempt.at)
            {
                times.remove(i);
            }
        }
    }
}

/// One login attempt, counted until settled.
#[derive(Debug)]
pub struct Attempt {
    email: String,
    ip: Option<String>,
    at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    WrongCredentials,
    /// The attempt could not be judged (the database was out of reach).
    Undecided,
}

/// Keeps the map within [`MAX_KEYS`]: first drops what has aged out of the
/// window, then, under a spray of fresh addresses or emails where nothing
/// ages out, one arbitrary key, so memory stays bounded whatever comes.
fn make_room(map: &mut HashMap<String, VecDeque<Instant>>, now: Instant, window: Duration) {
    if map.len() < MAX_KEYS {
        return;
    }
    map.retain(|_, times| {
        times
            .back()
            .is_some_and(|t| now.duration_since(*t) < window)
    });
    if map.len() >= MAX_KEYS
        && let Some(key) = map.keys().next().cloned()
    {
        map.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_success_resets_the_account() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            let a = l.attempt("a@x", Some("1.1.1.1")).expect("allowed");
            l.settle(a, Outcome::WrongCredentials);
        }
        let wait = l.attempt("a@x", Some("2.2.2.2")).unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        assert!(
            l.attempt("b@x", Some("1.1.1.1")).is_ok(),
            "the address is not yet over its limit"
        );
    }

    #[test]
    fn attempts_in_flight_count_before_they_are_settled() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let pending: Vec<_> = (0..3)
            .map(|_| l.attempt("a@x", None).expect("allowed"))
            .collect();
        assert!(
            l.attempt("a@x", None).is_err(),
            "a fourth waits for none of them"
        );
        for a in pending {
            l.settle(a, Outcome::Undecided);
        }
        assert!(
            l.attempt("a@x", None).is_ok(),
            "undecided attempts are given back"
        );
    }

    #[test]
    fn success_clears_the_account_and_spares_the_address() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        for _ in 0..20 {
            let a = l.attempt("a@x", Some("1.1.1.1")).expect("allowed");
            l.settle(a, Outcome::Succeeded);
        }
        let a = l
            .attempt("a@x", Some("1.1.1.1"))
            .expect("never limited by successes");
        l.settle(a, Outcome::WrongCredentials);
        let a = l
            .attempt("a@x", Some("1.1.1.1"))
            .expect("one failure is under the limit");
        l.settle(a, Outcome::Succeeded);
        assert!(l.attempt("a@x", Some("1.1.1.1")).is_ok());
    }

    #[test]
    fn a_spray_of_addresses_stays_within_the_key_budget() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for i in 0..(MAX_KEYS + 500) {
            let ip = format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255);
            if let Ok(a) = l.attempt("victim@x", Some(&ip)) {
                l.settle(a, Outcome::WrongCredentials);
            }
        }
        let map = l.failures.lock().unwrap_or_else(|p| p.into_inner());
        assert!(map.len() <= MAX_KEYS, "{} keys", map.len());
    }
}
