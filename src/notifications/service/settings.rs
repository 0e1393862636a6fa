//! A reader's choices: which kinds they are notified of, and which comment subtrees they muted.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::db::DbPool;
use crate::ids::{CommentId, UserId};
use crate::notifications::domain::NotificationKind;
use crate::notifications::error::NotificationError;
use crate::notifications::model::NotificationSettings;
use crate::notifications::queries;
use crate::notifications::requests;

/// Every kind and whether `user` is notified of it in the app.
#[tracing::instrument(skip_all, fields(user_id = user.get()))]
pub async fn settings(
    pool: &DbPool,
    user: UserId,
) -> Result<NotificationSettings, NotificationError> {
    let mut conn = pool.get().await?;
    current(&mut conn, user).await
}

/// The stored choices over the default (every kind on).
async fn current(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> Result<NotificationSettings, NotificationError> {
    let stored = queries::settings(conn, user)
        .await
        .map_err(NotificationError::at("reading the notification settings"))?;
    Ok(NotificationSettings::from_choices(|kind| {
        stored
            .iter()
            .find(|(name, _)| name == kind.as_str())
            .is_none_or(|(_, on)| *on)
    }))
}

/// Changes the kinds `body` names (see `requests::parse_settings_patch`) and returns them all.
#[tracing::instrument(skip_all, fields(user_id = user.get()))]
pub async fn update_settings(
    pool: &DbPool,
    user: UserId,
    body: &serde_json::Value,
) -> Result<NotificationSettings, NotificationError> {
    let choices = requests::parse_settings_patch(body).map_err(NotificationError::Invalid)?;
    let rows: Vec<(&str, bool)> = choices
        .iter()
        .map(|(kind, on)| (NotificationKind::as_str(*kind), *on))
        .collect();
    let mut conn = pool.get().await?;
    queries::set_settings(&mut conn, user, &rows)
        .await
        .map_err(NotificationError::at("storing the notification settings"))?;
    current(&mut conn, user).await
}

/// Mutes (`muted`) or unmutes the subtree of comment `id` for `user`: no reply notifications
/// from anywhere under it. Repeating either changes nothing; an unknown comment is a 404.
#[tracing::instrument(skip_all, fields(user_id = user.get(), comment_id = id.get(), muted))]
pub async fn set_mute(
    pool: &DbPool,
    user: UserId,
    id: CommentId,
    muted: bool,
    now: DateTime<Utc>,
) -> Result<(), NotificationError> {
    let mut conn = pool.get().await?;
    let exists = queries::comment_exists(&mut conn, id)
        .await
        .map_err(NotificationError::at("finding the comment"))?;
    if !exists {
        return Err(NotificationError::CommentNotFound(id));
    }
    let result = if muted {
        queries::mute(&mut conn, user, id, now).await
    } else {
        queries::unmute(&mut conn, user, id).await
    };
    // A comment whose article was deleted meanwhile takes its rows along: still a 404.
    result.map_err(|e| match crate::error::violated_constraint(&e) {
        Some("comment_mutes_comment_id_fkey") => NotificationError::CommentNotFound(id),
        _ => NotificationError::at("storing the mute")(e),
    })
}
