//! Prometheus metrics at `GET /metrics` (outside `/api/v1`; `HINDSIGHT_METRICS=off` hides
//! it): requests by route template and status, latency histograms per route, requests in
//! flight, the pool's size/in-use/waiting, and domain counters. Hand-rolled text exposition:
//! a few counters and histograms do not need a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use actix_web::{get, web, HttpResponse};

use crate::startup::AppState;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Domain events counted for dashboards.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// A comment was created.
    Comment,
    /// A vote was stored.
    Vote,
    /// A forecast was stored.
    Forecast,
    /// A login succeeded.
    LoginOk,
    /// A login failed.
    LoginFailed,
    /// A request was refused by a rate limit.
    RateLimited,
}

/// The registry of one application.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    in_flight: AtomicI64,
    events: [AtomicU64; 6],
}

impl Metrics {
    /// A request started.
    pub fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A request finished: counted by route template, method and status, timed by route.
    pub fn finished(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        drop(requests);
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let histogram = latency.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[i] += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Counts a domain event.
    pub fn count(&self, event: Event) {
        self.events[event as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self, pool: &crate::db::DbPool) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP hindsight_http_requests_total HTTP requests by route template, method and status.\n# TYPE hindsight_http_requests_total counter\n");
        for ((route, method, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(out, "hindsight_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP hindsight_http_request_duration_seconds Request latency by route template.\n# TYPE hindsight_http_request_duration_seconds histogram\n");
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "hindsight_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}", h.counts[i]);
            }
            let _ = writeln!(out, "hindsight_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(
                out,
                "hindsight_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "hindsight_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(out, "# HELP hindsight_http_requests_in_flight Requests being served.\n# TYPE hindsight_http_requests_in_flight gauge\nhindsight_http_requests_in_flight {}", self.in_flight.load(Ordering::Relaxed));
        let status = pool.status();
        let in_use = status.size.saturating_sub(status.available);
        let _ = writeln!(out, "# HELP hindsight_db_pool_size Connections open.\n# TYPE hindsight_db_pool_size gauge\nhindsight_db_pool_size {}", status.size);
        let _ = writeln!(out, "# HELP hindsight_db_pool_max_size Connections allowed.\n# TYPE hindsight_db_pool_max_size gauge\nhindsight_db_pool_max_size {}", status.max_size);
        let _ = writeln!(out, "# HELP hindsight_db_pool_in_use Connections handed out.\n# TYPE hindsight_db_pool_in_use gauge\nhindsight_db_pool_in_use {in_use}");
        let _ = writeln!(out, "# HELP hindsight_db_pool_waiting Requests waiting for a connection.\n# TYPE hindsight_db_pool_waiting gauge\nhindsight_db_pool_waiting {}", status.waiting);
        let names = [
            ("comments_created_total", "Comments created."),
            ("votes_total", "Votes stored."),
            ("forecasts_total", "Forecasts stored."),
            ("logins_ok_total", "Successful logins."),
            ("logins_failed_total", "Failed logins."),
            ("rate_limited_total", "Requests refused by a rate limit."),
        ];
        for (i, (name, help)) in names.iter().enumerate() {
            let _ = writeln!(out, "# HELP hindsight_{name} {help}\n# TYPE hindsight_{name} counter\nhindsight_{name} {}", self.events[i].load(Ordering::Relaxed));
        }
        out
    }
}

/// `GET /metrics`.
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.pool))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let registry = Metrics::default();
        registry.started();
        registry.finished("/a", "GET", 200, 0.003);
        let mut latency = registry.latency.lock().expect("lock");
        let h = latency.entry("/a".to_owned()).or_default();
        assert_eq!(h.counts[0], 0, "not within 1 ms");
        assert_eq!(h.counts[2], 1, "within 5 ms");
        assert_eq!(h.counts[BUCKETS.len() - 1], 1);
    }
}
