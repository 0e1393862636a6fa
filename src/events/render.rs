//! Turning logged events into SSE frames from the current state: a batch of events costs one
//! statement per kind of thing it mentions (comments, counters, predictions, locks, unread
//! counts), whatever the number of streams. The hub renders each event once per instance;
//! a replay renders its stream's missed events the same way, so a comment removed since it
//! was posted is replayed as removed, without its text.

use std::collections::HashMap;

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use super::current::{self, CommentCounts, PredictionState, ThreadLock};
use super::log::LoggedEvent;
use super::wire::{self, *};
use super::EventKind;
use crate::comments::model::{CommentView, ViewContext};
use crate::ids::{ArticleId, UserId};
use crate::notifications::model::Notification;

/// An event ready to send: its id, the streams it goes to and its bytes.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The event's id (commit order).
    pub id: i64,
    /// The thread stream it goes to.
    pub article_id: Option<ArticleId>,
    /// The reader's stream it goes to.
    pub user_id: Option<UserId>,
    /// The whole SSE frame.
    pub frame: Bytes,
    /// Streams end after this frame (`thread_deleted`: nothing more will come).
    pub ends_stream: bool,
}

/// Renders `events` (skipping those whose subject is gone, such as a comment of a deleted
/// article, and kinds this build does not know), in their order.
pub async fn render(
    conn: &mut AsyncPgConnection,
    events: &[LoggedEvent],
    now: DateTime<Utc>,
) -> diesel::QueryResult<Vec<Rendered>> {
    let state = State::load(conn, events, now).await?;
    Ok(events.iter().filter_map(|e| state.render(e)).collect())
}

/// Everything a batch's frames are made from.
struct State {
    comments: HashMap<i64, CommentView>,
    counts: HashMap<i64, CommentCounts>,
    predictions: HashMap<i64, PredictionState>,
    locks: HashMap<i64, ThreadLock>,
    unread: HashMap<i64, i64>,
    notifications: HashMap<i64, Notification>,
}

/// The ids of the events of `kinds`, taken by `id` (deduplicated).
fn ids_of(
    events: &[LoggedEvent],
    kinds: &[EventKind],
    id: impl Fn(&LoggedEvent) -> Option<i64>,
) -> Vec<i64> {
    let mut ids: Vec<i64> = events
        .iter()
        .filter(|e| EventKind::parse(&e.kind).is_some_and(|k| kinds.contains(&k)))
        .filter_map(id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

const COMMENT_KINDS: [EventKind; 5] = [
    EventKind::CommentCreated,
    EventKind::CommentEdited,
    EventKind::CommentDeleted,
    EventKind::CommentRemoved,
    EventKind::CommentRestored,
];

impl State {
    async fn load(
        conn: &mut AsyncPgConnection,
        events: &[LoggedEvent],
        now: DateTime<Utc>,
    ) -> diesel::QueryResult<Self> {
        use EventKind as K;
        let comment_ids = ids_of(events, &COMMENT_KINDS, |e| e.comment_id);
        let count_ids = ids_of(
            events,
            &[K::Votes, K::CommentPinned, K::CommentUnpinned],
            |e| e.comment_id,
        );
        let prediction_ids = ids_of(events, &[K::Forecasts, K::PredictionResolved], |e| {
            e.prediction_id
        });
        let lock_ids = ids_of(events, &[K::ThreadLocked, K::ThreadUnlocked], |e| {
            e.article_id.map(ArticleId::get)
        });
        let user_ids = ids_of(events, &[K::Notification, K::Unread], |e| {
            e.user_id.map(UserId::get)
        });
        let notification_ids = ids_of(events, &[K::Notification], |e| e.notification_id);
        Ok(Self {
            comments: anonymous_views(conn, &comment_ids, now).await?,
            counts: current::comment_counts(conn, &count_ids).await?,
            predictions: current::predictions(conn, &prediction_ids).await?,
            locks: current::locks(conn, &lock_ids).await?,
            unread: current::unread_counts(conn, &user_ids).await?,
            notifications: notification_items(conn, &notification_ids).await?,
        })
    }

    fn render(&self, event: &LoggedEvent) -> Option<Rendered> {
        let kind = EventKind::parse(&event.kind)?;
        let frame = self.frame(kind, event)?;
        Some(Rendered {
            id: event.id,
            article_id: event.article_id,
            user_id: event.user_id,
            frame,
            ends_stream: kind == EventKind::ThreadDeleted,
        })
    }

    fn frame(&self, kind: EventKind, event: &LoggedEvent) -> Option<Bytes> {
        use EventKind as K;
        let (id, name) = (event.id, kind.as_str());
        match kind {
            K::CommentCreated
            | K::CommentEdited
            | K::CommentDeleted
            | K::CommentRemoved
            | K::CommentRestored => {
                let view = self.comments.get(&event.comment_id?)?;
                Some(wire::frame(id, name, view))
            }
            K::Votes => {
                let c = self.counts.get(&event.comment_id?)?;
                let data = VotesData {
                    comment_id: c.id,
                    upvotes: c.upvotes,
                    downvotes: c.downvotes,
                    score: c.score,
                };
                Some(wire::frame(id, name, &data))
            }
            K::CommentPinned | K::CommentUnpinned => {
                let c = self.counts.get(&event.comment_id?)?;
                let data = PinData {
                    comment_id: c.id,
                    pinned: c.pinned,
                };
                Some(wire::frame(id, name, &data))
            }
            K::Forecasts => {
                let p = self.predictions.get(&event.prediction_id?)?;
                let data = ForecastsData {
                    prediction_id: p.id,
                    comment_id: p.comment_id,
                    forecaster_count: p.forecaster_count,
                    community_probability: p.community_probability,
                };
                Some(wire::frame(id, name, &data))
            }
            K::PredictionResolved => {
                let p = self.predictions.get(&event.prediction_id?)?;
                let data = ResolutionData {
                    prediction_id: p.id,
                    comment_id: p.comment_id,
                    outcome: p.outcome.clone(),
                    resolved_at: p.resolved_at,
                };
                Some(wire::frame(id, name, &data))
            }
            K::ThreadLocked | K::ThreadUnlocked => {
                let lock = self.locks.get(&event.article_id?.get())?;
                let data = LockData {
                    locked: lock.locked,
                    reason: lock.lock_reason.clone().filter(|_| lock.locked),
                };
                Some(wire::frame(id, name, &data))
            }
            // Needs no read: deletion is final (no route restores an article).
            K::ThreadDeleted => {
                let data = ThreadDeletedData {
                    article_id: event.article_id?.get(),
                };
                Some(wire::frame(id, name, &data))
            }
            K::Notification => {
                let user = event.user_id?.get();
                let data = NotificationData {
                    notification: self.notifications.get(&event.notification_id?)?.clone(),
                    unread_notifications: self.unread.get(&user).copied().unwrap_or(0),
                };
                Some(wire::frame(id, name, &data))
            }
            K::Unread => {
                let user = event.user_id?.get();
                let data = UnreadData {
                    unread_notifications: self.unread.get(&user).copied().unwrap_or(0),
                };
                Some(wire::frame(id, name, &data))
            }
        }
    }
}

/// The comments as an anonymous reader sees them now (the view of `GET /comments/{id}`), by id;
/// comments of deleted articles are left out.
async fn anonymous_views(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
    now: DateTime<Utc>,
) -> diesel::QueryResult<HashMap<i64, CommentView>> {
    let rows = crate::comments::queries::reads::rows_by_ids(conn, ids, None).await?;
    let anonymous = ViewContext {
        viewer: None,
        moderator: false,
        now,
    };
    Ok(rows
        .into_iter()
        .filter(|row| row.article_live)
        .map(|row| (row.id, CommentView::from_row(row, &anonymous)))
        .collect())
}

/// These notifications as `GET /me/notifications` lists them now, by id (one deleted since,
/// by retention or with its account, is left out, and so is its event).
async fn notification_items(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> diesel::QueryResult<HashMap<i64, Notification>> {
    let rows = crate::notifications::queries::by_ids(conn, ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(crate::notifications::service::reading::view)
        .map(|item| (item.id, item))
        .collect())
}
