//! Per-client rate limit: one token bucket per peer IP address.
//!
//! Why per IP and not per token: the token (when there is one) is shared by a whole team, and
//! the limit is there so that one runaway client cannot starve the others or the probe queue.
//! Buckets that are full again are forgotten, so the table stays small.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Tokens per second and bucket size. `per_second == 0` switches the limit off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second per client address (the sustained rate).
    pub per_second: f64,
    /// Most tokens a client can hold (how many requests may come at once).
    pub burst: u32,
}

impl Default for RateLimit {
    /// 50 requests per second with bursts of 100: far above a person at the page, low enough
    /// that one script cannot monopolise the server.
    fn default() -> Self {
        RateLimit {
            per_second: 50.0,
            burst: 100,
        }
    }
}

impl RateLimit {
    /// No limit (load tests, a trusted front proxy doing its own limiting).
    pub fn off() -> Self {
        RateLimit {
            per_second: 0.0,
            burst: 0,
        }
    }

    /// Whether the limit is switched off.
    pub fn is_off(&self) -> bool {
        self.per_second <= 0.0
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Most clients remembered; past this, full buckets are dropped first.
const MAX_CLIENTS: usize = 10_000;

/// A token bucket per client address: one busy client is slowed down, the others are not.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
    /// A limiter with no clients seen yet.
    pub fn new(limit: RateLimit) -> Self {
        Limiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one token for `ip`. `Err(seconds)` tells how long until the next token.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.limit.is_off() {
            return Ok(());
        }
        let rate = self.limit.per_second;
        let burst = f64::from(self.limit.burst.max(1));
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_CLIENTS && !map.contains_key(&ip) {
            map.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
            if map.len() >= MAX_CLIENTS {
                // Everyone is busy: forget the oldest half rather than grow without bound.
                let mut ages: Vec<(IpAddr, Instant)> =
                    map.iter().map(|(k, b)| (*k, b.at)).collect();
                ages.sort_by_key(|(_, at)| *at);
                for (k, _) in ages.into_iter().take(MAX_CLIENTS / 2) {
                    map.remove(&k);
                }
            }
        }
        let b = map.entry(ip).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - b.tokens) / rate).ceil();
            Err(if wait.is_finite() && wait >= 1.0 {
                wait as u64
            } else {
                1
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills() {
        let l = Limiter::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(ip, t0).is_ok());
        }
        assert!(l.check_at(ip, t0).is_err());
        // Another client has its own bucket.
        assert!(l.check_at(other, t0).is_ok());
        // Half a second later one token is back.
        let t1 = t0 + Duration::from_millis(500);
        assert!(l.check_at(ip, t1).is_ok());
        assert!(l.check_at(ip, t1).is_err());
    }

    #[test]
    fn off_never_limits() {
        let l = Limiter::new(RateLimit::off());
        let ip: IpAddr = "::1".parse().unwrap();
        for _ in 0..10_000 {
            assert!(l.check(ip).is_ok());
        }
    }
}
