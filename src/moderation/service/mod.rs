//! Moderation's service: each action as one transaction (rules from `domain`, statements from
//! `queries`, the log row from `log::record`), returning `ModerationError`. Handlers call one
//! function here; the helpers below are what several actions share.

pub mod bans;
pub mod locks_pins;
pub mod removal;
pub mod reports;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::accounts::model::UserRow;
use crate::auth::role::Role;
use crate::auth::AuthUser;
use crate::comments::model::{CommentView, ViewContext};
use crate::comments::queries::reads::find_comment;
use crate::comments::queries::{self as comments, CommentForWrite};
use crate::ids::CommentId;
use crate::moderation::domain;
use crate::moderation::error::ModerationError;
use crate::moderation::queries;

/// A comment as moderators see it (removed text and reason included), after an action.
pub async fn moderator_view(
    conn: &mut AsyncPgConnection,
    id: CommentId,
    moderator: &AuthUser,
    now: DateTime<Utc>,
) -> Result<CommentView, ModerationError> {
    let row = find_comment(conn, id, Some(moderator.id))
        .await
        .map_err(ModerationError::at("reading the comment for the moderator"))?
        .ok_or(ModerationError::CommentNotFound(id))?;
    Ok(CommentView::from_row(
        row,
        &ViewContext::of(Some(moderator), now),
    ))
}

/// The comment an action targets, with its author's role (which decides who may act).
async fn comment_and_author_role(
    conn: &mut AsyncPgConnection,
    id: CommentId,
) -> Result<(CommentForWrite, Role), ModerationError> {
    let comment = find_comment_for_write(conn, id).await?;
    let role = queries::role_of(conn, comment.author_id)
        .await
        .map_err(ModerationError::at("reading the author's role"))?;
    Ok((comment, role))
}

/// The comment an action targets, or the 404 naming its id.
async fn find_comment_for_write(
    conn: &mut AsyncPgConnection,
    id: CommentId,
) -> Result<CommentForWrite, ModerationError> {
    comments::find_for_write(conn, id)
        .await
        .map_err(ModerationError::at("finding the comment"))?
        .ok_or(ModerationError::CommentNotFound(id))
}

/// The user a ban targets, by username in any case, or the 404 naming it.
async fn target_user(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> Result<UserRow, ModerationError> {
    crate::accounts::queries::find_by_username(conn, username)
        .await
        .map_err(ModerationError::at("finding the user"))?
        .ok_or_else(|| ModerationError::UserNotFound(username.to_owned()))
}

/// Records an action's notifications (see `notifications::record`) and appends them with the
/// action's own live events: the last statement of its transaction (see `events`).
async fn notify_and_append(
    conn: &mut AsyncPgConnection,
    notifications: &[crate::notifications::NewNotification],
    mut events: Vec<crate::events::Event>,
    now: DateTime<Utc>,
) -> Result<(), ModerationError> {
    let told = crate::notifications::record(conn, notifications, now)
        .await
        .map_err(ModerationError::at("recording the notifications"))?;
    events.extend(told);
    append_events(conn, &events).await
}

/// Appends an action's live events: the last statement of its transaction (see `events`).
async fn append_events(
    conn: &mut AsyncPgConnection,
    events: &[crate::events::Event],
) -> Result<(), ModerationError> {
    crate::events::queries::append(conn, events)
        .await
        .map_err(ModerationError::at("appending the live events"))
}

/// Locks the chain of a comment and removes it if it is live; returns whether it was (a
/// removal of a comment already gone is a 409 for a moderator, and nothing for a report).
async fn remove_if_live(
    conn: &mut AsyncPgConnection,
    comment: &CommentForWrite,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, ModerationError> {
    let state = comments::lock_chain(conn, &comment.chain())
        .await
        .map_err(ModerationError::at("locking the comment chain"))?;
    if !domain::is_live(state) {
        return Ok(false);
    }
    queries::remove(conn, comment, reason, now)
        .await
        .map_err(ModerationError::at("removing the comment"))?;
    Ok(true)
}
