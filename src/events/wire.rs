//! What a stream sends: the `data:` JSON of each event kind (documented in openapi.yaml through
//! these `ToSchema` types) and the SSE framing. A frame is rendered once per instance and the
//! same bytes go to every stream that receives it.

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// `votes`: a comment's counts as they are now (at most one event per comment per second).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VotesData {
    /// The comment.
    pub comment_id: i64,
    /// Upvotes.
    pub upvotes: i32,
    /// Downvotes.
    pub downvotes: i32,
    /// upvotes − downvotes.
    pub score: i32,
}

/// `forecasts`: a prediction's crowd as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ForecastsData {
    /// The prediction.
    pub prediction_id: i64,
    /// The comment carrying it.
    pub comment_id: i64,
    /// People with a current forecast.
    pub forecaster_count: i32,
    /// Median of current forecasts (0–1); null without forecasts.
    pub community_probability: Option<f64>,
}

/// `prediction_resolved`: the resolution as it stands now (a re-resolution sends another).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolutionData {
    /// The prediction.
    pub prediction_id: i64,
    /// The comment carrying it.
    pub comment_id: i64,
    /// yes, no or void; null if the resolution was withdrawn since.
    pub outcome: Option<String>,
    /// When it was (last) resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// `thread_locked` / `thread_unlocked`: the thread's lock as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LockData {
    /// Whether new comments are refused.
    pub locked: bool,
    /// The moderator's reason; null when unlocked or not given.
    pub reason: Option<String>,
}

/// `comment_pinned` / `comment_unpinned`: the comment's pin as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PinData {
    /// The comment.
    pub comment_id: i64,
    /// Whether it is pinned.
    pub pinned: bool,
}

/// `notification` (on `GET /me/events`): a new notification and the reader's unread count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationData {
    /// The new notification, as one item of `GET /me/notifications` shows it now.
    pub notification: crate::notifications::model::Notification,
    /// Unread notifications now.
    pub unread_notifications: i64,
}

/// `unread` (on `GET /me/events`): the unread count changed (read marks, in another tab).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnreadData {
    /// Unread notifications now.
    pub unread_notifications: i64,
}

/// `thread_deleted`: the article was deleted; the stream ends after this event (reconnecting
/// answers 404).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThreadDeletedData {
    /// The deleted article.
    pub article_id: i64,
}

/// `reset`: the stream cannot replay what the client missed; reload the thread (or the
/// notifications) and keep reading.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResetData {
    /// `pruned` (older than the log keeps), `unknown_id` (not an id of this log),
    /// `too_far_behind` (more missed events than a replay sends) or `invalid_id`, all sent
    /// first and without an `id`; or `skipped` (events of the stream could not be shown and
    /// were passed over), sent live with the `id` of the last one passed over, so that a
    /// reconnect resumes after them.
    pub reason: String,
}

/// The heartbeat comment every open stream gets (a comment line: `EventSource` ignores it).
pub const HEARTBEAT: &[u8] = b": hb\n\n";

/// `id: <id>\nevent: <kind>\ndata: <json>\n\n`. serde_json writes no raw newline, so the
/// data is one line.
pub fn frame(id: i64, kind: &str, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("id: {id}\nevent: {kind}\ndata: {json}\n\n"))
}

/// A `reset` event (no id: the client keeps the last one it had, which is the one at fault).
pub fn reset(reason: &str) -> Bytes {
    let data = ResetData {
        reason: reason.to_owned(),
    };
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("event: reset\ndata: {json}\n\n"))
}

/// A `reset` sent live for events passed over, carrying the id of the last of them: a client
/// that reloads and later reconnects resumes after them rather than at them.
pub fn reset_at(id: i64, reason: &str) -> Bytes {
    let data = ResetData {
        reason: reason.to_owned(),
    };
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("id: {id}\nevent: reset\ndata: {json}\n\n"))
}

/// The `retry:` line a stream starts with.
pub fn retry(after: std::time::Duration) -> Bytes {
    Bytes::from(format!("retry: {}\n\n", after.as_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_one_event_each() {
        let bytes = frame(
            7,
            "comment_pinned",
            &PinData {
                comment_id: 3,
                pinned: true,
            },
        );
        assert_eq!(
            &bytes[..],
            b"id: 7\nevent: comment_pinned\ndata: {\"comment_id\":3,\"pinned\":true}\n\n"
        );
        assert_eq!(
            &reset("pruned")[..],
            b"event: reset\ndata: {\"reason\":\"pruned\"}\n\n"
        );
        assert_eq!(
            &reset_at(12, "skipped")[..],
            b"id: 12\nevent: reset\ndata: {\"reason\":\"skipped\"}\n\n"
        );
    }
}
