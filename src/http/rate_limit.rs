//! Rate limits as token buckets, per user when authenticated and per client IP otherwise, one
//! rule per action (README lists the defaults and the settings that change them). Buckets
//! live in this process (several instances each enforce their own), refill by the service's
//! clock (so tests can move time), and a request over the limit gets a 429 problem with
//! `Retry-After` and the `RateLimit-*` headers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Mutex;

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::error::ApiError;

/// A limit: `capacity` requests per `period_secs`, refilled continuously.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Burst size and the number of requests per period.
    pub capacity: u32,
    /// The period, in seconds.
    pub period_secs: u32,
}

impl FromStr for Rule {
    type Err = String;
    /// `10/min`, `60/hour`, `5/sec`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (count, unit) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not like 10/min"))?;
        let capacity: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("`{count}` is not a count"))?;
        let period_secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3_600,
            "d" | "day" => 86_400,
            other => return Err(format!("unknown period `{other}` (sec, min, hour, day)")),
        };
        if capacity == 0 {
            return Err("a limit needs at least 1 request".to_owned());
        }
        Ok(Self {
            capacity,
            period_secs,
        })
    }
}

/// Every rule of the service.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Whether limits apply at all (`HINDSIGHT_RATE_LIMITS=off` for benchmarks).
    pub enabled: bool,
    /// Login and register, per client IP.
    pub auth_per_ip: Rule,
    /// Failed logins per (account, IP).
    pub failed_login_per_account_ip: Rule,
    /// Failed logins per account from all IPs.
    pub failed_login_per_account: Rule,
    /// Comments per user, short window.
    pub comments: Rule,
    /// Comments per user, long window.
    pub comments_hourly: Rule,
    /// Comments per user whose account is younger than a day.
    pub new_account_comments: Rule,
    /// Votes and forecasts per user.
    pub votes: Rule,
    /// Reports per user.
    pub reports: Rule,
    /// Password-reset requests and confirmations per client IP.
    pub password_reset_per_ip: Rule,
    /// Password-reset requests per email address (any case).
    pub password_reset_per_address: Rule,
}

impl Default for RateLimits {
    fn default() -> Self {
        let rule = |capacity, period_secs| Rule {
            capacity,
            period_secs,
        };
        Self {
            enabled: true,
            auth_per_ip: rule(10, 60),
            failed_login_per_account_ip: rule(5, 60),
            failed_login_per_account: rule(100, 3_600),
            comments: rule(6, 60),
            comments_hourly: rule(60, 3_600),
            new_account_comments: rule(2, 60),
            votes: rule(120, 60),
            reports: rule(10, 3_600),
            password_reset_per_ip: rule(10, 3_600),
            password_reset_per_address: rule(3, 3_600),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: DateTime<Utc>,
}

/// The buckets of one application.
pub struct Limiter {
    limits: RateLimits,
    clock: Clock,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Buckets kept before full ones are swept.
const SWEEP_ABOVE: usize = 100_000;

impl Limiter {
    /// A limiter applying `limits` by `clock`.
    pub fn new(limits: RateLimits, clock: Clock) -> Self {
        Self {
            limits,
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The rules.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    fn refill(bucket: &mut Bucket, rule: Rule, now: DateTime<Utc>) {
        let elapsed = (now - bucket.updated)
            .num_microseconds()
            .unwrap_or(0)
            .max(0) as f64
            / 1e6;
        let rate = f64::from(rule.capacity) / f64::from(rule.period_secs);
        bucket.tokens = (bucket.tokens + elapsed * rate).min(f64::from(rule.capacity));
        bucket.updated = now;
    }

    fn refused(rule: Rule, bucket: &Bucket) -> ApiError {
        let rate = f64::from(rule.capacity) / f64::from(rule.period_secs);
        let retry_after = ((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64;
        let reset = ((f64::from(rule.capacity) - bucket.tokens) / rate)
            .ceil()
            .max(1.0) as u64;
        ApiError::RateLimited {
            limit: rule.capacity,
            retry_after,
            reset,
        }
    }

    /// Takes one token from the bucket `key` under `rule`, or refuses with a 429.
    pub fn take(&self, rule: Rule, key: &str) -> Result<(), ApiError> {
        self.settle(&[(rule, key)])
    }

    /// Takes one token from every bucket at once, or from none (429 naming the first empty
    /// one). For checks whose outcome is only known after expensive work, such as password
    /// verification: the token is held while the work runs, so concurrent attempts cannot all
    /// pass a check made before any of them was charged; [`Limiter::refund`] gives it back
    /// when the attempt turns out not to count (a correct password).
    pub fn reserve(&self, buckets: &[(Rule, &str)]) -> Result<(), ApiError> {
        self.settle(buckets)
    }

    /// Gives back the tokens a [`Limiter::reserve`] took.
    pub fn refund(&self, buckets: &[(Rule, &str)]) {
        if !self.limits.enabled {
            return;
        }
        let now = self.clock.now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        for (rule, key) in buckets {
            if let Some(bucket) = map.get_mut(*key) {
                Self::refill(bucket, *rule, now);
                bucket.tokens = (bucket.tokens + 1.0).min(f64::from(rule.capacity));
            }
        }
    }

    /// Refills every bucket, refuses with the first empty one, or takes a token from each.
    fn settle(&self, buckets: &[(Rule, &str)]) -> Result<(), ApiError> {
        if !self.limits.enabled {
            return Ok(());
        }
        let now = self.clock.now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, b| b.tokens < 1.0 || (now - b.updated).num_seconds() < 3_600);
        }
        for (rule, key) in buckets {
            let bucket = map.entry((*key).to_owned()).or_insert(Bucket {
                tokens: f64::from(rule.capacity),
                updated: now,
            });
            Self::refill(bucket, *rule, now);
            if bucket.tokens < 1.0 {
                return Err(Self::refused(*rule, bucket));
            }
        }
        for (_, key) in buckets {
            if let Some(bucket) = map.get_mut(*key) {
                bucket.tokens -= 1.0;
            }
        }
        Ok(())
    }
}

/// The client's address: the socket peer, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
///
/// Every `X-Forwarded-For` line counts, in order, as one list (RFC 9110 §5.3): a proxy that
/// appends its own line (HAProxy's `option forwardfor`) puts the address it saw after any line
/// the client sent, so reading only the first line would let the client choose its address.
/// An entry that is not an address (a client's garbage) ends the walk: nothing left of it can
/// be trusted either, so the proxy's view is used.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let Some(peer) = peer else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let lines: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    rightmost_untrusted(&lines, trusted)
        .unwrap_or(peer)
        .to_string()
}

/// The rightmost address of the combined `X-Forwarded-For` lines that is not a trusted proxy.
fn rightmost_untrusted(lines: &[&str], trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut last_trusted = None;
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => last_trusted = Some(ip),
            Ok(ip) => return Some(ip),
            Err(_) => return last_trusted,
        }
    }
    last_trusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_settings() {
        assert_eq!(
            "10/min".parse::<Rule>().expect("ok"),
            Rule {
                capacity: 10,
                period_secs: 60
            }
        );
        assert_eq!("100/hour".parse::<Rule>().expect("ok").period_secs, 3_600);
        assert!("0/min".parse::<Rule>().is_err());
        assert!("ten/min".parse::<Rule>().is_err());
        assert!("10/fortnight".parse::<Rule>().is_err());
    }

    #[test]
    fn forwarded_lines_are_combined_before_the_rightmost_untrusted_address_is_taken() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let trusted = [proxy];
        let ip = |lines: &[&str]| rightmost_untrusted(lines, &trusted).map(|ip| ip.to_string());
        // The client's own line comes first; the proxy appends what it saw.
        assert_eq!(
            ip(&["1.2.3.4", "203.0.113.9"]).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            ip(&["1.2.3.4, 5.6.7.8", "203.0.113.9, 10.0.0.1"]).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(ip(&["203.0.113.9"]).as_deref(), Some("203.0.113.9"));
        // Garbage before the proxy's entry is not trusted past.
        assert_eq!(
            ip(&["nonsense", "203.0.113.9"]).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(ip(&["10.0.0.1, nonsense"]).as_deref(), None);
        assert_eq!(ip(&[]), None);
    }

    #[test]
    fn reservations_are_all_or_nothing_and_refundable() {
        let limiter = Limiter::new(RateLimits::default(), Clock::manual(Utc::now()));
        let one = Rule {
            capacity: 1,
            period_secs: 60,
        };
        let two = Rule {
            capacity: 2,
            period_secs: 60,
        };
        assert!(limiter.reserve(&[(two, "a"), (one, "b")]).is_ok());
        assert!(
            limiter.reserve(&[(two, "a"), (one, "b")]).is_err(),
            "b is empty"
        );
        // The refused reservation took nothing from `a`.
        assert!(limiter.reserve(&[(two, "a")]).is_ok());
        assert!(limiter.reserve(&[(two, "a")]).is_err());
        limiter.refund(&[(two, "a")]);
        assert!(limiter.reserve(&[(two, "a")]).is_ok());
    }

    #[test]
    fn buckets_refill_with_the_clock() {
        let clock = Clock::manual(Utc::now());
        let limiter = Limiter::new(RateLimits::default(), clock.clone());
        let rule = Rule {
            capacity: 2,
            period_secs: 60,
        };
        assert!(limiter.take(rule, "k").is_ok());
        assert!(limiter.take(rule, "k").is_ok());
        match limiter.take(rule, "k") {
            Err(ApiError::RateLimited {
                retry_after, limit, ..
            }) => {
                assert_eq!(limit, 2);
                assert_eq!(retry_after, 30);
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        clock.advance(chrono::Duration::seconds(30));
        assert!(limiter.take(rule, "k").is_ok());
        assert!(limiter.take(rule, "other").is_ok(), "keys are separate");
    }
}
