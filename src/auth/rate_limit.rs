//! Rate limiting: a token bucket per client key (an access key id, or the client IP of
//! anonymous and JSON requests), with a configured rate and burst, and a stricter
//! per-IP limiter for login and registration.
//!
//! Memory is bounded: a bucket that has refilled to its burst is identical to a fresh
//! one, so idle buckets are dropped when the table grows, and beyond a hard cap new
//! clients share one overflow bucket. Nothing here knows HTTP: callers turn a refusal
//! into `SlowDown` (S3) or 429 (JSON).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::config::{RateLimitSetting, RateSpec};

/// Buckets kept before idle ones are swept.
const SWEEP_AT: usize = 10_000;
/// Buckets kept at most; past it, new clients share the overflow bucket.
const MAX_BUCKETS: usize = 100_000;
const OVERFLOW_KEY: &str = "\u{0}overflow";

/// A refused request: how long until one more would be admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for `Retry-After`, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets keyed by client.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter admitting `spec` on average with bursts of `burst` (default: the
    /// spec's count).
    pub fn new(spec: RateSpec, burst: Option<u32>) -> Self {
        let burst = f64::from(burst.unwrap_or(spec.count).max(1));
        RateLimiter { rate: spec.per_second(), burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token from `key`'s bucket.
    pub fn check(&self, key: &str) -> Result<(), Limited> {
        self.check_at(key, Instant::now())
    }

    /// Whether `key` has a token left, without taking it.
    pub fn peek(&self, key: &str) -> Result<(), Limited> {
        let now = Instant::now();
        let buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(bucket) = buckets.get(key) else { return Ok(()) };
        let tokens = (bucket.tokens + now.saturating_duration_since(bucket.updated).as_secs_f64() * self.rate).min(self.burst);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(Limited { retry_after: Duration::from_secs_f64((1.0 - tokens) / self.rate) })
        }
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Limited> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !buckets.contains_key(key) && buckets.len() >= SWEEP_AT {
            self.sweep(&mut buckets, now);
        }
        let key = if !buckets.contains_key(key) && buckets.len() >= MAX_BUCKETS { OVERFLOW_KEY } else { key };
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: self.burst, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Limited { retry_after: Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate) })
        }
    }

    /// Drops buckets that have refilled to the burst: forgetting them changes nothing.
    fn sweep(&self, buckets: &mut HashMap<String, Bucket>, now: Instant) {
        buckets.retain(|_, b| b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * self.rate < self.burst);
    }

    /// Buckets currently kept.
    pub fn len(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The server's limiters.
#[derive(Debug)]
pub struct RateLimits {
    /// S3 and JSON requests; `None` when limiting is off.
    pub requests: Option<RateLimiter>,
    /// Login and registration attempts, per client IP.
    pub login: RateLimiter,
}

impl RateLimits {
    pub fn new(requests: Option<RateSpec>, burst: Option<u32>, login: RateSpec, login_burst: Option<u32>) -> Self {
        RateLimits { requests: requests.map(|spec| RateLimiter::new(spec, burst)), login: RateLimiter::new(login, login_burst) }
    }

    /// Admits an S3 request signed with `access_key_id`, or an anonymous one (or one
    /// that failed authentication) from `ip`.
    pub fn admit(&self, access_key_id: Option<&str>, ip: std::net::IpAddr) -> Result<(), Limited> {
        let Some(limiter) = &self.requests else { return Ok(()) };
        match access_key_id {
            Some(key) => limiter.check(&format!("key:{key}")),
            None => limiter.check(&format!("ip:{ip}")),
        }
    }

    /// Admits a JSON API request from `ip`.
    pub fn admit_json(&self, ip: std::net::IpAddr) -> Result<(), Limited> {
        let Some(limiter) = &self.requests else { return Ok(()) };
        limiter.check(&format!("json:{ip}"))
    }

    /// Admits a login or registration attempt from `ip`.
    pub fn admit_login(&self, ip: std::net::IpAddr) -> Result<(), Limited> {
        self.login.check(&format!("ip:{ip}"))
    }
}

/// The S3 path's first check, before any catalog lookup or HMAC: an unsigned request
/// is charged to its client IP now; a signed one is refused when its IP has spent its
/// budget (on failed or anonymous requests), so a flood of bad signatures costs
/// nothing but this. `SlowDown` (503) with `Retry-After` when refused.
pub fn admit_s3_claim(limits: &RateLimits, claim: &super::Claim, ip: std::net::IpAddr) -> Result<(), s3api::S3Error> {
    let Some(limiter) = &limits.requests else { return Ok(()) };
    let ip_key = format!("ip:{ip}");
    let admitted = match claim {
        super::Claim::Anonymous => limiter.check(&ip_key),
        super::Claim::Signed(_) => limiter.peek(&ip_key),
    };
    admitted.map_err(slow_down)
}

/// The S3 path's check after authentication: a verified request is charged to its
/// access key; a failed one to its client IP (anonymous ones were charged before).
pub fn admit_s3_verified(limits: &RateLimits, verified: Result<&super::Principal, ()>, ip: std::net::IpAddr) -> Result<(), s3api::S3Error> {
    match verified {
        Ok(super::Principal::User(user)) => limits.admit(Some(&user.access_key_id), ip),
        Ok(_) => Ok(()),
        Err(()) => limits.admit(None, ip),
    }
    .map_err(slow_down)
}

fn slow_down(limited: Limited) -> s3api::S3Error {
    s3api::S3Error::new(s3api::S3ErrorCode::SlowDown).header("retry-after", limited.retry_after_secs().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!("100/minute".parse::<RateSpec>().unwrap(), RateSpec { count: 100, per: Duration::from_secs(60) });
        assert_eq!("10/s".parse::<RateSpec>().unwrap().per_second(), 10.0);
        assert_eq!("5000/hour".parse::<RateSpec>().unwrap().to_string(), "5000/hour");
        for bad in ["", "100", "x/minute", "0/minute", "10/day"] {
            assert!(bad.parse::<RateSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bursts_then_refills() {
        let limiter = RateLimiter::new("60/minute".parse().unwrap(), Some(3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("a", t0).is_ok());
        }
        let refused = limiter.check_at("a", t0).unwrap_err();
        assert_eq!(refused.retry_after_secs(), 1);
        assert!(limiter.check_at("b", t0).is_ok(), "keys are independent");
        assert!(limiter.check_at("a", t0 + Duration::from_millis(1100)).is_ok());
        assert!(limiter.check_at("a", t0 + Duration::from_millis(1100)).is_err());
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = RateLimiter::new("1000/second".parse().unwrap(), Some(1));
        let t0 = Instant::now();
        for i in 0..SWEEP_AT {
            assert!(limiter.check_at(&format!("k{i}"), t0).is_ok());
        }
        // A second later every bucket is full again: the next new key sweeps them all.
        assert!(limiter.check_at("late", t0 + Duration::from_secs(1)).is_ok());
        assert_eq!(limiter.len(), 1);
    }
}
