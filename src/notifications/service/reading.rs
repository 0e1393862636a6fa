//! The reader's notifications: a page of them, the unread count, and read marks.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde_json::Value;

use crate::accounts::model::PublicUser;
use crate::db::DbPool;
use crate::error::FieldErrors;
use crate::events::{queries as events, Event};
use crate::ids::UserId;
use crate::notifications::domain::{self, NotificationKind};
use crate::notifications::error::NotificationError;
use crate::notifications::model::*;
use crate::notifications::queries::{self, NotificationRow};
use crate::notifications::requests;
use crate::pagination::{self, Page};

/// The cursor list of a reader's notifications (all or unread only).
fn cursor_list(unread_only: bool) -> &'static str {
    if unread_only {
        "notifications:unread"
    } else {
        "notifications:all"
    }
}

/// A page of `user`'s notifications, newest first.
#[tracing::instrument(skip_all, fields(user_id = user.get()))]
pub async fn list(
    pool: &DbPool,
    user: UserId,
    query: NotificationsQuery,
) -> Result<Page<Notification>, NotificationError> {
    let unread_only = query.unread.unwrap_or(false);
    let list = cursor_list(unread_only);
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        list,
        "new",
    )
    .map_err(NotificationError::from_validation)?;
    let mut conn = pool.get().await?;
    let rows = queries::list(&mut conn, user, unread_only, limit, cursor.map(|c| c.id))
        .await
        .map_err(NotificationError::at("reading the notifications"))?;
    let (rows, next_cursor) = pagination::finish_page(rows, limit, |last| {
        pagination::encode(list, "new", Value::Null, last.id)
    });
    let items = rows.into_iter().filter_map(view).collect();
    Ok(Page { items, next_cursor })
}

/// The wire form of a row (None for a kind this build does not know); also what a live
/// stream's `notification` event carries.
pub fn view(row: NotificationRow) -> Option<Notification> {
    let kind = NotificationKind::parse(&row.kind)?;
    Some(Notification {
        id: row.id,
        kind,
        created_at: row.created_at,
        read_at: row.read_at,
        actor: row
            .actor_id
            .zip(row.actor_username)
            .map(|(id, username)| PublicUser {
                id: id.get(),
                username,
                display_name: row.actor_display_name,
            }),
        article: row
            .article_id
            .zip(row.article_slug.zip(row.article_title))
            .map(|(id, (slug, title))| NotifiedArticle {
                id: id.get(),
                slug,
                title,
            }),
        comment: row.comment_id.map(|id| NotifiedComment {
            id: id.get(),
            snippet: row.comment_text.as_deref().map(domain::snippet),
        }),
        prediction: row.prediction_id.map(|id| NotifiedPrediction {
            id: id.get(),
            claim: row.prediction_claim,
        }),
        data: serde_json::from_str(&row.data).unwrap_or(Value::Null),
    })
}

/// How many of `user`'s notifications are unread (`unread_notifications` on `/me`).
pub async fn unread(pool: &DbPool, user: UserId) -> Result<i64, NotificationError> {
    let mut conn = pool.get().await?;
    queries::unread_count(&mut conn, user)
        .await
        .map_err(NotificationError::at("counting unread notifications"))
}

/// Marks some of `user`'s notifications read (ids of others are ignored) and returns the
/// unread count. When anything changed, an `unread` event tells the reader's other tabs, in the
/// same transaction.
#[tracing::instrument(skip_all, fields(user_id = user.get()))]
pub async fn mark_read(
    pool: &DbPool,
    user: UserId,
    request: ReadRequest,
    now: DateTime<Utc>,
) -> Result<UnreadCount, NotificationError> {
    let mark = requests::parse_read_mark(request.ids, request.up_to_id)
        .map_err(|e| NotificationError::Invalid(vec![e]))?;
    let mut conn = pool.get().await?;
    let unread = conn
        .transaction(async |conn| {
            let changed = queries::mark_read(conn, user, &mark, now)
                .await
                .map_err(NotificationError::at("marking notifications read"))?;
            let unread = queries::unread_count(conn, user)
                .await
                .map_err(NotificationError::at("counting unread notifications"))?;
            if changed > 0 {
                events::append(conn, &[Event::unread(user)])
                    .await
                    .map_err(NotificationError::at("appending the unread event"))?;
            }
            Ok::<_, NotificationError>(unread)
        })
        .await?;
    Ok(UnreadCount {
        unread_notifications: unread,
    })
}
