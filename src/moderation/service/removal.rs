//! Removing and restoring comments, one at a time or (for a ban) every live comment of a user.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{comment_and_author_role, moderator_view, notify_and_append, remove_if_live};
use crate::auth::AuthUser;
use crate::comments::model::CommentView;
use crate::comments::queries::{self as comments, CommentForWrite};
use crate::db::DbPool;
use crate::events::{Event, EventKind};
use crate::ids::{CommentId, UserId};
use crate::moderation::domain::{self, ensure_can_act};
use crate::moderation::error::ModerationError;
use crate::moderation::log::{self, Action, Entry};
use crate::moderation::queries;
use crate::notifications::{NewNotification, NotificationKind};

/// The `comment_removed` notice to a removed comment's author: the reason, never the text.
pub fn removal_notice(
    comment: &CommentForWrite,
    moderator: UserId,
    reason: &str,
) -> NewNotification {
    NewNotification::new(
        NotificationKind::CommentRemoved,
        comment.author_id,
        Some(moderator),
    )
    .on_comment(comment.article_id, comment.id)
    .with_data(serde_json::json!({ "reason": reason }))
}

/// Removes a comment (a moderator may remove their own, not a peer's or a superior's), logs
/// it, and returns it as moderators see it.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), moderator_id = moderator.id.get()))]
pub async fn remove_comment(
    pool: &DbPool,
    moderator: &AuthUser,
    id: CommentId,
    raw_reason: &str,
    now: DateTime<Utc>,
) -> Result<CommentView, ModerationError> {
    let reason = domain::reason(raw_reason)?;
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let (comment, role) = comment_and_author_role(conn, id).await?;
        ensure_can_act(moderator, comment.author_id, role, true)?;
        if !remove_if_live(conn, &comment, &reason, now).await? {
            return Err(ModerationError::CommentNotLive);
        }
        let entry = Entry {
            article_id: Some(comment.article_id),
            comment_id: Some(id),
            target_user_id: Some(comment.author_id),
            reason: Some(&reason),
            ..Entry::new(Action::RemoveComment, Some(moderator.id))
        };
        log::record(conn, entry, now)
            .await
            .map_err(ModerationError::at("logging the removal"))?;
        let event = Event::comment(EventKind::CommentRemoved, comment.article_id, id);
        let told = removal_notice(&comment, moderator.id, &reason);
        notify_and_append(conn, &[told], vec![event], now).await
    })
    .await?;
    moderator_view(&mut conn, id, moderator, now).await
}

/// Restores a removed comment (nobody restores their own), logs it, and returns it.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), moderator_id = moderator.id.get()))]
pub async fn restore_comment(
    pool: &DbPool,
    moderator: &AuthUser,
    id: CommentId,
    now: DateTime<Utc>,
) -> Result<CommentView, ModerationError> {
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let (comment, role) = comment_and_author_role(conn, id).await?;
        ensure_can_act(moderator, comment.author_id, role, false)?;
        let current = comments::lock_chain(conn, &comment.chain())
            .await
            .map_err(ModerationError::at("locking the comment chain"))?;
        if !domain::is_removed(current) {
            return Err(ModerationError::CommentNotRemoved);
        }
        queries::restore(conn, &comment)
            .await
            .map_err(ModerationError::at("restoring the comment"))?;
        let entry = Entry {
            article_id: Some(comment.article_id),
            comment_id: Some(id),
            target_user_id: Some(comment.author_id),
            ..Entry::new(Action::RestoreComment, Some(moderator.id))
        };
        log::record(conn, entry, now)
            .await
            .map_err(ModerationError::at("logging the restore"))?;
        let event = Event::comment(EventKind::CommentRestored, comment.article_id, id);
        let told = NewNotification::new(
            NotificationKind::CommentRestored,
            comment.author_id,
            Some(moderator.id),
        )
        .on_comment(comment.article_id, id);
        notify_and_append(conn, &[told], vec![event], now).await
    })
    .await?;
    moderator_view(&mut conn, id, moderator, now).await
}

/// Removes every live comment of a user (a ban with `remove_content`). All their chains are
/// locked first, in one ascending pass, before any article row is touched, keeping the lock
/// order (comments, then articles); each comment's state is read again under that lock.
/// Returns the live events of the removals, for the ban's transaction to append last.
pub async fn remove_all(
    conn: &mut AsyncPgConnection,
    author_id: UserId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, ModerationError> {
    let targets = live_comments_of(conn, author_id).await?;
    let mut chain: Vec<i64> = targets.iter().flat_map(CommentForWrite::chain).collect();
    chain.sort_unstable();
    chain.dedup();
    comments::lock_chain(conn, &chain)
        .await
        .map_err(ModerationError::at("locking the user's comment chains"))?;
    let mut removed = Vec::new();
    for comment in &targets {
        let state = queries::comment_state(conn, comment.id)
            .await
            .map_err(ModerationError::at("reading a comment's state under lock"))?;
        if domain::is_live(Some(state)) {
            queries::remove(conn, comment, reason, now)
                .await
                .map_err(ModerationError::at("removing one of the user's comments"))?;
            removed.push(Event::comment(
                EventKind::CommentRemoved,
                comment.article_id,
                comment.id,
            ));
        }
    }
    Ok(removed)
}

/// The user's live comments, with what a removal needs of each.
async fn live_comments_of(
    conn: &mut AsyncPgConnection,
    author_id: UserId,
) -> Result<Vec<CommentForWrite>, ModerationError> {
    let ids = queries::live_comment_ids(conn, author_id)
        .await
        .map_err(ModerationError::at("listing the user's live comments"))?;
    let mut targets = Vec::with_capacity(ids.len());
    for id in ids {
        let found = comments::find_for_write(conn, id)
            .await
            .map_err(ModerationError::at("reading one of the user's comments"))?;
        targets.extend(found);
    }
    Ok(targets)
}
