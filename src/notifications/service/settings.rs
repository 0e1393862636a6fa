//! A reader's choices: which kinds they are notified of, and which comment subtrees they muted.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::db::DbPool;
use crate::error::FieldError;
use crate::ids::{CommentId, UserId};
use crate::notifications::error::NotificationError;
use crate::notifications::mail::domain::EmailMode;
use crate::notifications::model::{KindSettings, NotificationSettings};
use crate::notifications::queries;
use crate::notifications::requests;

/// Every kind and how `user` is notified of it, in the app and by mail.
#[tracing::instrument(skip_all, fields(user_id = user.get()))]
pub async fn settings(
    pool: &DbPool,
    user: UserId,
) -> Result<NotificationSettings, NotificationError> {
    let mut conn = pool.get().await?;
    current(&mut conn, user).await
}

/// The stored choices over the defaults (in the app: on; by mail: `EmailMode::default_for`).
/// A kind off in the app shows its mail `off` too: mail copies the in-app notification, and
/// none is written (the stored mail choice comes back when the app is switched on again).
pub async fn current(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> Result<NotificationSettings, NotificationError> {
    let stored = queries::settings(conn, user)
        .await
        .map_err(NotificationError::at("reading the notification settings"))?;
    Ok(NotificationSettings::from_choices(|kind| {
        let choice = stored.iter().find(|c| c.kind == kind.as_str());
        let in_app = choice.and_then(|c| c.in_app).unwrap_or(true);
        let email = choice
            .and_then(|c| c.email.as_deref())
            .and_then(EmailMode::parse)
            .unwrap_or_else(|| EmailMode::default_for(kind));
        KindSettings {
            in_app,
            email: if in_app { email } else { EmailMode::Off },
        }
    }))
}

/// Changes the kinds and channels `body` names (see `requests::parse_settings_patch`) and
/// returns them all.
#[tracing::instrument(skip_all, fields(user_id = user.get()))]
pub async fn update_settings(
    pool: &DbPool,
    user: UserId,
    body: &serde_json::Value,
) -> Result<NotificationSettings, NotificationError> {
    let choices = requests::parse_settings_patch(body).map_err(NotificationError::Invalid)?;
    let mut conn = pool.get().await?;
    let before = current(&mut conn, user).await?;
    let mail_without_app: Vec<FieldError> = choices
        .iter()
        .filter(|(kind, patch)| {
            let in_app = patch.in_app.unwrap_or(before.of(*kind).in_app);
            !in_app && patch.email.is_some_and(|mode| mode != EmailMode::Off)
        })
        .map(|(kind, _)| {
            FieldError::new(
                format!("{kind}.email"),
                "needs_in_app",
                "mail copies the in-app notification: switch in_app on to get this mail",
            )
        })
        .collect();
    if !mail_without_app.is_empty() {
        return Err(NotificationError::Invalid(mail_without_app));
    }
    let rows: Vec<(&str, Option<bool>, Option<&str>)> = choices
        .iter()
        .map(|(kind, patch)| {
            (
                kind.as_str(),
                patch.in_app,
                patch.email.map(EmailMode::as_str),
            )
        })
        .collect();
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
