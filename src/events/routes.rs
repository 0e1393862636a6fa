//! Live-stream handlers: a thread's events, the reader's own events, and the ticket that lets
//! a browser's `EventSource` (which cannot send headers) open the latter. Streams are
//! `text/event-stream`; the framing and every event's data are described in openapi.yaml.
//! Neither the ticket nor any query string of these paths is logged: the access log records
//! the route pattern, and these handlers' spans record no parameter.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::{self, Reader};
use super::stream::{body, Opened};
use crate::auth::{AuthUser, MaybeUser};
use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::startup::AppState;

/// Registers the stream routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(thread_events)
        .service(my_events)
        .service(issue_ticket);
}

/// Query of `GET /articles/{slug}/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadEventsQuery {
    /// Where to resume when the `Last-Event-ID` header cannot be set (a first connection
    /// after a page load); the header wins when both are present.
    pub last_event_id: Option<String>,
}

/// Query of `GET /me/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyEventsQuery {
    /// A ticket from `POST /me/events/ticket` (single use), for clients that cannot send an
    /// Authorization header. Access tokens are never accepted here.
    pub ticket: Option<String>,
    /// As for thread streams.
    pub last_event_id: Option<String>,
}

/// `POST /me/events/ticket`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTicket {
    /// Put it in `GET /me/events?ticket=…` once, before `expires_at`.
    pub ticket: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// The header, else the query parameter.
fn last_event_id<'a>(req: &'a HttpRequest, query: Option<&'a str>) -> Option<&'a str> {
    req.headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query)
}

/// The streaming response: the SSE headers, no caching (`no-store` for a reader's own
/// stream: it is personal), no proxy buffering and no compression (`Content-Encoding:
/// identity` also keeps actix's `Compress` off the body, should it ever be wrapped around).
fn streaming(opened: Opened, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static(cache)))
        .insert_header(("X-Accel-Buffering", HeaderValue::from_static("no")))
        .insert_header((
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        ))
        .streaming(body(opened))
}

/// Live changes of a thread (Server-Sent Events): comments posted, edited, deleted, removed
/// and restored (each as an anonymous reader sees it now), vote counts (at most one event per
/// comment per second), forecast summaries, resolutions, locks and pins, and
/// `thread_deleted`, after which the stream ends. Each event has an `id`; reconnecting with
/// `Last-Event-ID` replays what was missed, or sends `reset` when that is no longer possible
/// (reload the thread). A `: hb` comment comes every 15 s.
#[utoipa::path(
    tag = "live",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received"),
        ThreadEventsQuery
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream` of thread events (see the `live` tag)", content_type = "text/event-stream", body = super::schema::ThreadStreamEvent),
        NotFound, Invalid, TooMany, Unavailable
    )
)]
#[get("/articles/{slug}/events")]
#[tracing::instrument(skip_all)]
pub async fn thread_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    ApiQuery(query): ApiQuery<ThreadEventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&req);
    let last = last_event_id(&req, query.last_event_id.as_deref());
    let opened = service::open_thread(&state, &slug, last, ip).await?;
    Ok(streaming(opened, "no-cache"))
}

/// The reader's own live events (Server-Sent Events): new notifications and the unread
/// count. Authenticate with the Authorization header, or with a `ticket` from
/// `POST /me/events/ticket` (what a browser's `EventSource` can do). Replay and `reset` work
/// as on thread streams. The stream ends once the access-token lifetime has passed since it
/// opened (identity is checked only at open): open a new one with a new ticket and
/// `Last-Event-ID`. A 429 for the per-IP limit leaves the ticket usable; one for the
/// per-reader limit has used it.
#[utoipa::path(
    tag = "live",
    security((), ("bearer" = [])),
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received"),
        MyEventsQuery
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream` of the reader's events (see the `live` tag)", content_type = "text/event-stream", body = super::schema::UserStreamEvent),
        Unauthorized, Invalid, TooMany, Unavailable
    )
)]
#[get("/me/events")]
#[tracing::instrument(skip_all)]
pub async fn my_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    reader: MaybeUser,
    ApiQuery(query): ApiQuery<MyEventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let who = match (&reader.0, query.ticket.as_deref()) {
        (Some(user), _) => Reader::Token(user.id),
        (None, Some(ticket)) => Reader::Ticket(ticket),
        (None, None) => {
            return Err(ApiError::Unauthenticated(
                "an access token or a stream ticket is required",
            ))
        }
    };
    let ip = state.client_ip(&req);
    let last = last_event_id(&req, query.last_event_id.as_deref());
    let opened = service::open_own(&state, who, last, ip).await?;
    Ok(streaming(opened, "no-store"))
}

/// A single-use ticket, valid for a minute, to open `GET /me/events` from a browser's
/// `EventSource` (which cannot send an Authorization header) without putting the access token
/// in a URL.
#[utoipa::path(
    tag = "live",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The ticket", body = StreamTicket),
        Unauthorized, Unavailable
    )
)]
#[post("/me/events/ticket")]
#[tracing::instrument(skip_all)]
pub async fn issue_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let issued = service::issue_ticket(&state, user.id).await?;
    Ok(HttpResponse::Created().json(StreamTicket {
        ticket: issued.ticket,
        expires_at: issued.expires_at,
    }))
}
