//! Opening streams and issuing tickets: the limits, the article or reader, the hub
//! registration and the replay, in that order (register before replaying, so nothing falls
//! between the replay and the live events).

use chrono::{DateTime, Utc};

use super::error::EventError;
use super::hub::Topic;
use super::limits::{LimitReached, StreamGuard};
use super::stream::{replay, Opened};
use super::{tickets, wire};
use crate::articles::queries::find_live_id;
use crate::ids::UserId;
use crate::startup::AppState;

/// Who asks for their own stream.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// Authenticated by an access token (the Authorization header).
    Token(UserId),
    /// Carrying a ticket from `POST /me/events/ticket`.
    Ticket(&'a str),
}

/// A ticket as issued.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// The secret to put in the stream's URL.
    pub ticket: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

fn too_many(reached: LimitReached) -> EventError {
    EventError::TooManyStreams {
        limit: reached.limit,
    }
}

fn take_slot(state: &AppState, ip: String) -> Result<StreamGuard, EventError> {
    state.stream_limits.acquire(ip, None).map_err(too_many)
}

/// Registers with the hub, then reads the replay after `last_event_id` on a pooled
/// connection.
async fn open(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    topic: Topic,
    last_event_id: Option<&str>,
    guard: StreamGuard,
) -> Result<Opened, EventError> {
    let subscription = state.hub.subscribe(topic).ok_or(EventError::ShuttingDown)?;
    let opened_at = state.clock.now();
    let replayed = replay(conn, topic, last_event_id, opened_at)
        .await
        .map_err(EventError::at("reading the replay"))?;
    // A reader's stream lives no longer than the access token that could have opened it:
    // identity is checked once, at open, so a logout or a deleted account is noticed by the
    // next open at the latest. Thread streams are anonymous and live on.
    let expires_at = match topic {
        Topic::User(_) => {
            let ttl = chrono::Duration::from_std(state.settings.access_token_ttl)
                .map_err(|e| EventError::internal(e.into()))?;
            Some(opened_at + ttl)
        }
        Topic::Thread(_) => None,
    };
    let mut prelude =
        actix_web::web::BytesMut::from(&wire::retry(state.settings.streams.retry)[..]);
    prelude.extend_from_slice(&replayed.frames);
    Ok(Opened {
        prelude: prelude.freeze(),
        subscription,
        skip_through: replayed.skip_through,
        ended: replayed.ended,
        lifetime: expires_at.map(|at| (state.clock.clone(), at)),
        guard,
    })
}

/// The live stream of the thread of article `slug`, for a client at `ip`.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn open_thread(
    state: &AppState,
    slug: &str,
    last_event_id: Option<&str>,
    ip: String,
) -> Result<Opened, EventError> {
    let guard = take_slot(state, ip)?;
    let mut conn = state.pool.get().await?;
    let article = find_live_id(&mut conn, slug)
        .await
        .map_err(EventError::at("finding the article"))?
        .ok_or_else(|| EventError::ArticleNotFound(slug.to_owned()))?;
    open(
        state,
        &mut conn,
        Topic::Thread(article.id),
        last_event_id,
        guard,
    )
    .await
}

/// The reader's own stream (notifications and unread count), for a client at `ip`.
#[tracing::instrument(skip_all)]
pub async fn open_own(
    state: &AppState,
    reader: Reader<'_>,
    last_event_id: Option<&str>,
    ip: String,
) -> Result<Opened, EventError> {
    // The per-IP limit first, so that a 429 for it leaves a ticket unredeemed and usable;
    // the per-user limit needs the user, so a 429 for that one has used the ticket up.
    let mut guard = take_slot(state, ip)?;
    let mut conn = state.pool.get().await?;
    let user = match reader {
        Reader::Token(user) => user,
        Reader::Ticket(ticket) => tickets::redeem(&mut conn, ticket, state.clock.now())
            .await
            .map_err(EventError::at("redeeming the ticket"))?
            .ok_or(EventError::Unauthenticated(
                "the ticket is unknown, used or expired; ask for a new one",
            ))?,
    };
    guard.add_user(user).map_err(too_many)?;
    open(state, &mut conn, Topic::User(user), last_event_id, guard).await
}

/// A single-use ticket for `user`'s stream.
#[tracing::instrument(skip_all, fields(user_id = user.get()))]
pub async fn issue_ticket(state: &AppState, user: UserId) -> Result<Ticket, EventError> {
    let now = state.clock.now();
    let ttl = chrono::Duration::from_std(state.settings.streams.ticket_ttl)
        .map_err(|e| EventError::internal(e.into()))?;
    let expires_at = now + ttl;
    let mut conn = state.pool.get().await?;
    let ticket = tickets::issue(&mut conn, user, now, expires_at)
        .await
        .map_err(EventError::at("storing the ticket"))?;
    Ok(Ticket { ticket, expires_at })
}
