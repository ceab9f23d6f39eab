//! Login rate limiting, per account and per client address.
//!
//! Failures count in a sliding window; an attempt counts as one from the
//! moment it starts until it is settled, so parallel guesses are limited
//! too. The counts live in the database, so every node on one database
//! enforces one limit, and memory stays flat under a spray of addresses
//! (old attempts are purged as new ones come).

use std::time::Duration;

use crate::store::logins::{self, Limit};
use crate::store::{Db, StoreResult};

pub struct LoginLimiter {
    per_account: usize,
    per_address: usize,
    window: Duration,
}

/// One login attempt, counted until settled.
#[derive(Debug)]
pub struct Attempt {
    id: String,
    account_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    WrongCredentials,
    /// The attempt could not be judged (the database was out of reach).
    Undecided,
}

impl LoginLimiter {
    pub fn new(per_account: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_account,
            // One address may hold several accounts (an office, a NAT).
            per_address: per_account.saturating_mul(5),
            window,
        }
    }

    /// Takes one attempt for this email and address, or `Ok(Err(wait))`
    /// when either has failed too often lately. The attempt counts as a
    /// failure from now on; [`LoginLimiter::settle`] says how it went.
    pub async fn attempt(
        &self,
        db: &Db,
        email: &str,
        ip: Option<&str>,
    ) -> StoreResult<Result<Attempt, Duration>> {
        let account_key = format!("account:{email}");
        let address_key = format!("address:{}", ip.unwrap_or("unknown"));
        let limits = [
            Limit {
                key: &account_key,
                max: self.per_account,
            },
            Limit {
                key: &address_key,
                max: self.per_address,
            },
        ];
        let window = i64::try_from(self.window.as_micros()).unwrap_or(i64::MAX);
        Ok(match logins::attempt(db, &limits, window).await? {
            Ok(id) => Ok(Attempt { id, account_key }),
            Err(wait) => Err(Duration::from_micros(u64::try_from(wait).unwrap_or(0))),
        })
    }

    /// How an attempt went. A wrong password stays counted. A success
    /// clears the account's failures and does not count against the
    /// address. Anything else (the database was out of reach) is not held
    /// against anyone.
    pub async fn settle(&self, db: &Db, attempt: Attempt, outcome: Outcome) {
        let clear = match outcome {
            Outcome::WrongCredentials => return,
            Outcome::Succeeded => Some(attempt.account_key.as_str()),
            Outcome::Undecided => None,
        };
        if let Err(e) = logins::forget(db, &attempt.id, clear).await {
            tracing::warn!(error = %e, "a settled sign-in attempt stays counted");
        }
    }
}
