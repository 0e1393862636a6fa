//! Prometheus metrics at `GET /metrics` (outside `/api/v1`; `HINDSIGHT_METRICS=off` hides
//! it): requests by route template and status, latency histograms per route, requests in
//! flight, the pool's size/in-use/waiting, and domain counters.
//!
//! Built on `prometheus-client` (the Prometheus project's Rust client): counters and gauges are
//! atomics and each label set's metric is found under a read lock, so requests no longer queue
//! on one mutex; the crate also escapes label values. The exposition is the classic Prometheus
//! text format (0.0.4), as before: the same names, labels in the same order (`route` before
//! `le`), the same HELP texts. Counters are registered without `_total`, which the crate
//! appends, so the exposed names stay `hindsight_votes_total` and so on.

use actix_web::{get, web, HttpResponse};
use prometheus_client::encoding::prometheus_text::{encode, CONTENT_TYPE};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::error::ApiError;
use crate::startup::AppState;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

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

/// Family name (the exposed sample adds `_total`) and HELP text (the crate adds the final
/// period) of each [`Event`], in the enum's order.
const EVENTS: [(&str, &str); 6] = [
    ("hindsight_comments_created", "Comments created"),
    ("hindsight_votes", "Votes stored"),
    ("hindsight_forecasts", "Forecasts stored"),
    ("hindsight_logins_ok", "Successful logins"),
    ("hindsight_logins_failed", "Failed logins"),
    ("hindsight_rate_limited", "Requests refused by a rate limit"),
];

/// Labels of a finished request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

/// Labels of a latency observation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The pool's state, set from `deadpool`'s status at each scrape.
#[derive(Default)]
struct PoolGauges {
    size: Gauge,
    max_size: Gauge,
    in_use: Gauge,
    waiting: Gauge,
}

/// The registry of one application (each test app has its own).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    pool: PoolGauges,
    events: [Counter; 6],
    db: std::sync::Arc<crate::db::counters::DbCounters>,
    db_statements: Counter,
    db_checkouts: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        let mut fresh = Self {
            registry: Registry::default(),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            in_flight: Gauge::default(),
            pool: PoolGauges::default(),
            events: Default::default(),
            db: Default::default(),
            db_statements: Counter::default(),
            db_checkouts: Counter::default(),
        };
        fresh.register();
        fresh
    }
}

impl Metrics {
    /// Registers every metric under the names and HELP texts the service has always exposed.
    fn register(&mut self) {
        let registry = &mut self.registry;
        registry.register(
            "hindsight_http_requests",
            "HTTP requests by route template, method and status",
            self.requests.clone(),
        );
        registry.register(
            "hindsight_http_request_duration_seconds",
            "Request latency by route template",
            self.latency.clone(),
        );
        registry.register(
            "hindsight_http_requests_in_flight",
            "Requests being served",
            self.in_flight.clone(),
        );
        let pool = [
            (
                "hindsight_db_pool_size",
                "Connections open",
                &self.pool.size,
            ),
            (
                "hindsight_db_pool_max_size",
                "Connections allowed",
                &self.pool.max_size,
            ),
            (
                "hindsight_db_pool_in_use",
                "Connections handed out",
                &self.pool.in_use,
            ),
            (
                "hindsight_db_pool_waiting",
                "Requests waiting for a connection",
                &self.pool.waiting,
            ),
        ];
        for (name, help, gauge) in pool {
            registry.register(name, help, gauge.clone());
        }
        for ((name, help), counter) in EVENTS.iter().zip(&self.events) {
            registry.register(*name, *help, counter.clone());
        }
        registry.register(
            "hindsight_db_statements",
            "Statements sent on pooled connections, BEGIN and COMMIT included",
            self.db_statements.clone(),
        );
        registry.register(
            "hindsight_db_checkouts",
            "Connections handed out by the pool",
            self.db_checkouts.clone(),
        );
    }

    /// The database counters the pool feeds (see `db::counters`).
    pub fn db_counters(&self) -> &std::sync::Arc<crate::db::counters::DbCounters> {
        &self.db
    }

    /// A request started.
    pub fn started(&self) {
        self.in_flight.inc();
    }

    /// A request finished: counted by route template, method and status, timed by route.
    pub fn finished(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.in_flight.dec();
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts a domain event.
    pub fn count(&self, event: Event) {
        self.events[event as usize].inc();
    }

    /// The text exposition, with the pool's gauges read now.
    pub fn render(&self, pool: &crate::db::DbPool) -> Result<String, std::fmt::Error> {
        let status = pool.status();
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.pool.size.set(gauge(status.size));
        self.pool.max_size.set(gauge(status.max_size));
        self.pool
            .in_use
            .set(gauge(status.size.saturating_sub(status.available)));
        self.pool.waiting.set(gauge(status.waiting));
        // Counters only go up: move the exposed ones to the pool's totals.
        let behind = |exposed: &Counter, total: u64| total.saturating_sub(exposed.get());
        self.db_statements
            .inc_by(behind(&self.db_statements, self.db.statements()));
        self.db_checkouts
            .inc_by(behind(&self.db_checkouts, self.db.checkouts()));
        let mut out = String::with_capacity(4096);
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// `GET /metrics`.
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let body = state
        .metrics
        .render(&state.pool)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposition(of: &Metrics) -> String {
        let mut out = String::new();
        encode(&mut out, &of.registry).expect("encodes");
        out
    }

    #[test]
    fn histograms_are_cumulative() {
        let registry = Metrics::default();
        registry.started();
        registry.finished("/a", "GET", 200, 0.003);
        let text = exposition(&registry);
        let bucket = |le: &str| {
            format!("hindsight_http_request_duration_seconds_bucket{{route=\"/a\",le=\"{le}\"}}")
        };
        assert!(text.contains(&format!("{} 0\n", bucket("0.001"))), "{text}");
        assert!(text.contains(&format!("{} 1\n", bucket("0.005"))), "{text}");
        assert!(text.contains(&format!("{} 1\n", bucket("+Inf"))), "{text}");
        assert!(
            text.contains("hindsight_http_requests_in_flight 0\n"),
            "{text}"
        );
    }

    #[test]
    fn names_and_help_texts_stay_as_they_were() {
        let registry = Metrics::default();
        registry.count(Event::Vote);
        registry.finished("/healthz", "GET", 200, 0.0001);
        let text = exposition(&registry);
        for line in [
            "# HELP hindsight_votes_total Votes stored.\n",
            "# TYPE hindsight_votes_total counter\n",
            "hindsight_votes_total 1\n",
            "hindsight_rate_limited_total 0\n",
            "# HELP hindsight_http_requests_total HTTP requests by route template, method and status.\n",
            "hindsight_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1\n",
            "# TYPE hindsight_http_request_duration_seconds histogram\n",
            "# HELP hindsight_db_pool_waiting Requests waiting for a connection.\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let registry = Metrics::default();
        registry.finished("/a\"b\\c\nd", "GET", 404, 0.01);
        let text = exposition(&registry);
        assert!(text.contains(r#"route="/a\"b\\c\nd""#), "{text}");
    }
}
