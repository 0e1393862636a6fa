//! Logging and request identity: the tracing subscriber, the `X-Request-Id` middleware that
//! writes one log line per request, and `spawn_blocking_with_span` for CPU work.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use rand::Rng;
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The request id of the request being served, so that problem bodies can carry it.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The id assigned to a request, kept in its extensions for the span builder.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Installs the global subscriber; `RUST_LOG` filters (default `info`). Safe to call twice.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().compact())
            .try_init(),
    };
}

/// A client-supplied id is kept when it is short, printable ASCII; otherwise a new one is made.
fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| text.to_owned())
}

fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Outermost middleware: assigns the request id, makes it visible to error rendering, echoes it
/// in the response and writes the one access-log line (method, route, status, latency, id).
pub async fn request_id_and_access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(acceptable_request_id)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let state = req
        .app_data::<actix_web::web::Data<crate::startup::AppState>>()
        .cloned();
    if let Some(state) = &state {
        state.metrics.started();
    }
    // Handler and extractor errors arrive here already rendered as responses; an `Err` can only
    // come from a middleware, and actix renders it.
    let mut response = match REQUEST_ID.scope(id.clone(), next.call(req)).await {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => {
            tracing::warn!(request_id = %id, method = %method, %error, "request failed in middleware");
            if let Some(state) = &state {
                state.metrics.finished(
                    "unmatched",
                    method.as_str(),
                    500,
                    started.elapsed().as_secs_f64(),
                );
            }
            return Err(error);
        }
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(state) = &state {
        let status = response.status().as_u16();
        state.metrics.finished(
            &route,
            method.as_str(),
            status,
            started.elapsed().as_secs_f64(),
        );
        if status == 429 {
            state.metrics.count(crate::metrics::Event::RateLimited);
        }
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}

/// Root span for every request, carrying our request id rather than tracing-actix-web's own.
pub struct HindsightRootSpan;

impl RootSpanBuilder for HindsightRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        tracing::info_span!("http", request_id = %request_id, method = %request.method())
    }

    fn on_request_end<B: MessageBody>(
        _span: Span,
        _outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        // The access-log line is written by `request_id_and_access_log`.
    }
}

/// Runs CPU-bound work (argon2) on the blocking pool inside the caller's span.
pub async fn spawn_blocking_with_span<F, R>(work: F) -> Result<R, tokio::task::JoinError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_client_request_ids_are_replaced() {
        assert!(acceptable_request_id(&HeaderValue::from_static("abc-123")).is_some());
        assert!(acceptable_request_id(&HeaderValue::from_static("a b")).is_none());
        assert!(acceptable_request_id(&HeaderValue::from_static("")).is_none());
        assert_eq!(new_request_id().len(), 32);
    }
}
