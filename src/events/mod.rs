//! The durable event log behind live threads and the readers' own streams.
//!
//! Writes append [`Event`]s in their own transaction, as its last statement
//! ([`queries::append`], the SQL function `r.append_events`): the event commits with its cause
//! or not at all, and ids come out in commit order (an advisory lock held to commit), so a
//! stream that has delivered id N has seen every event below N and `Last-Event-ID` replay is
//! exact. Payloads carry ids and counts, never text: what a stream shows of a comment is read
//! when it is delivered, so a comment removed since is never replayed with its old text.

pub mod current;
pub mod error;
pub mod hub;
pub mod jobs;
pub mod limits;
pub mod log;
pub mod queries;
pub mod render;
pub mod routes;
pub mod schema;
pub mod service;
pub mod stream;
pub mod tickets;
pub mod wire;

use std::time::Duration;

use serde_json::json;

/// How live streams behave (README's configuration table). Kept together because the hub,
/// the handlers and the limits all read them.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSettings {
    /// How often every open stream gets a `: hb` comment, so proxies and clients see that an
    /// idle stream is alive (tests shorten it).
    pub heartbeat: Duration,
    /// The `retry:` a stream starts with: how long an `EventSource` waits before reconnecting.
    pub retry: Duration,
    /// How often the hub reads the log without a notification, in case one was lost.
    pub poll: Duration,
    /// Events a thread stream may fall behind before it is dropped as too slow (per-user
    /// streams get a smaller fixed buffer: they carry a few events a minute).
    pub buffer: usize,
    /// Open streams per client IP (429 above).
    pub per_ip: usize,
    /// Open `GET /me/events` streams per user (429 above).
    pub per_user: usize,
    /// How long a ticket from `POST /me/events/ticket` can be redeemed.
    pub ticket_ttl: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(15),
            retry: Duration::from_secs(3),
            poll: Duration::from_secs(5),
            buffer: 256,
            per_ip: 100,
            per_user: 10,
            ticket_ttl: Duration::from_secs(60),
        }
    }
}

use crate::ids::{ArticleId, CommentId, PredictionId, UserId};

/// What happened, as the `event:` field of a stream names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A comment (or reply, or prediction) was posted.
    CommentCreated,
    /// Its author edited it (body or prediction terms).
    CommentEdited,
    /// Its author deleted it.
    CommentDeleted,
    /// A moderator removed it.
    CommentRemoved,
    /// A moderator restored it.
    CommentRestored,
    /// Its vote counts changed (coalesced: at most one per comment per second).
    Votes,
    /// A prediction's forecast summary changed.
    Forecasts,
    /// A prediction was resolved.
    PredictionResolved,
    /// The thread was locked.
    ThreadLocked,
    /// The thread was unlocked.
    ThreadUnlocked,
    /// The article was deleted: its streams end after this event.
    ThreadDeleted,
    /// A comment was pinned.
    CommentPinned,
    /// A comment was unpinned.
    CommentUnpinned,
    /// A notification for the stream's reader (user streams only).
    Notification,
    /// The reader's unread count changed without a new notification (read marks).
    Unread,
}

impl EventKind {
    /// Every kind, for tests that check the stored names and the documented ones agree.
    pub const ALL: [EventKind; 15] = [
        Self::CommentCreated,
        Self::CommentEdited,
        Self::CommentDeleted,
        Self::CommentRemoved,
        Self::CommentRestored,
        Self::Votes,
        Self::Forecasts,
        Self::PredictionResolved,
        Self::ThreadLocked,
        Self::ThreadUnlocked,
        Self::ThreadDeleted,
        Self::CommentPinned,
        Self::CommentUnpinned,
        Self::Notification,
        Self::Unread,
    ];

    /// The name stored in `events.kind` and sent as the SSE `event:` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CommentCreated => "comment_created",
            Self::CommentEdited => "comment_edited",
            Self::CommentDeleted => "comment_deleted",
            Self::CommentRemoved => "comment_removed",
            Self::CommentRestored => "comment_restored",
            Self::Votes => "votes",
            Self::Forecasts => "forecasts",
            Self::PredictionResolved => "prediction_resolved",
            Self::ThreadLocked => "thread_locked",
            Self::ThreadUnlocked => "thread_unlocked",
            Self::ThreadDeleted => "thread_deleted",
            Self::CommentPinned => "comment_pinned",
            Self::CommentUnpinned => "comment_unpinned",
            Self::Notification => "notification",
            Self::Unread => "unread",
        }
    }

    /// The kind a stored name stands for (None for a name this build does not know).
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == stored)
    }
}

/// One event to append: its kind, the streams it belongs to, and the ids it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The thread stream it goes to, if any.
    pub article_id: Option<ArticleId>,
    /// The reader's stream it goes to, if any.
    pub user_id: Option<UserId>,
    /// Ids and counts only (never text): `comment_id`, `prediction_id`, `notification_id`.
    pub payload: serde_json::Value,
}

impl Event {
    /// An event about one comment of a thread.
    pub fn comment(kind: EventKind, article_id: ArticleId, comment_id: CommentId) -> Self {
        Self {
            kind,
            article_id: Some(article_id),
            user_id: None,
            payload: json!({ "comment_id": comment_id.get() }),
        }
    }

    /// An event about one prediction of a thread (forecasts, resolution).
    pub fn prediction(kind: EventKind, article_id: ArticleId, prediction_id: PredictionId) -> Self {
        Self {
            kind,
            article_id: Some(article_id),
            user_id: None,
            payload: json!({ "prediction_id": prediction_id.get() }),
        }
    }

    /// A thread locked, unlocked or deleted.
    pub fn thread(kind: EventKind, article_id: ArticleId) -> Self {
        Self {
            kind,
            article_id: Some(article_id),
            user_id: None,
            payload: json!({}),
        }
    }

    /// A new notification, for its recipient's stream.
    pub fn notification(user_id: UserId, notification_id: i64) -> Self {
        Self {
            kind: EventKind::Notification,
            article_id: None,
            user_id: Some(user_id),
            payload: json!({ "notification_id": notification_id }),
        }
    }

    /// The reader's unread count changed (read marks), for their other tabs.
    pub fn unread(user_id: UserId) -> Self {
        Self {
            kind: EventKind::Unread,
            article_id: None,
            user_id: Some(user_id),
            payload: json!({}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("no_such_kind"), None);
    }

    #[test]
    fn comment_events_carry_the_id_and_no_text() {
        let event = Event::comment(EventKind::CommentCreated, ArticleId(3), CommentId(9));
        assert_eq!(event.payload, json!({ "comment_id": 9 }));
        assert_eq!(event.article_id, Some(ArticleId(3)));
        assert_eq!(event.user_id, None);
    }
}
