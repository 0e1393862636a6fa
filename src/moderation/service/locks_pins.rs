//! Locking an article's thread and pinning top-level comments.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{append_events, find_comment_for_write, moderator_view};
use crate::articles::model::Article;
use crate::articles::queries as articles;
use crate::auth::AuthUser;
use crate::comments::model::CommentView;
use crate::comments::queries as comments;
use crate::db::DbPool;
use crate::events::{Event, EventKind};
use crate::ids::{ArticleId, CommentId};
use crate::moderation::domain;
use crate::moderation::error::ModerationError;
use crate::moderation::log::{self, Action, Entry};
use crate::moderation::queries::locks_pins as queries;

/// Locks or unlocks an article's thread (a lock needs a public reason), logs it, and returns
/// the article as readers now see it.
#[tracing::instrument(skip_all, fields(slug = %slug, locked = locked, moderator_id = moderator.id.get()))]
pub async fn lock_article(
    pool: &DbPool,
    moderator: &AuthUser,
    slug: &str,
    locked: bool,
    raw_reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Article, ModerationError> {
    let reason = domain::lock_reason(locked, raw_reason)?;
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let article = articles::find_live_id(conn, slug)
            .await
            .map_err(ModerationError::at("finding the article"))?
            .ok_or_else(|| ModerationError::ArticleNotFound(slug.to_owned()))?;
        queries::set_lock(conn, article.id, locked, reason.as_deref())
            .await
            .map_err(ModerationError::at("setting the lock"))?;
        let entry = Entry {
            article_id: Some(article.id),
            reason: reason.as_deref(),
            ..Entry::new(Action::lock(locked), Some(moderator.id))
        };
        log::record(conn, entry, now)
            .await
            .map_err(ModerationError::at("logging the lock"))?;
        let kind = if locked {
            EventKind::ThreadLocked
        } else {
            EventKind::ThreadUnlocked
        };
        append_events(conn, &[Event::thread(kind, article.id)]).await
    })
    .await?;
    let article = articles::find_live(&mut conn, slug)
        .await
        .map_err(ModerationError::at("reading the locked article"))?
        .ok_or_else(|| ModerationError::ArticleNotFound(slug.to_owned()))?;
    Ok(article.into())
}

/// Pins or unpins a top-level comment (at most three per article; pinning needs a live
/// comment), logs a change, and returns the comment. Asking for the current state changes and
/// logs nothing.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), pinned = pinned, moderator_id = moderator.id.get()))]
pub async fn pin_comment(
    pool: &DbPool,
    moderator: &AuthUser,
    id: CommentId,
    pinned: bool,
    now: DateTime<Utc>,
) -> Result<CommentView, ModerationError> {
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let comment = find_comment_for_write(conn, id).await?;
        if !comment.ancestors().is_empty() {
            return Err(ModerationError::NotTopLevel);
        }
        let article_id = comment.article_id;
        lock_for_pin(conn, id, article_id, pinned).await?;
        let already = queries::pinned_at(conn, id)
            .await
            .map_err(ModerationError::at("reading the pin"))?;
        if pinned == already.is_some() {
            return Ok(());
        }
        queries::set_pinned_at(conn, id, pinned.then_some(now))
            .await
            .map_err(ModerationError::at("setting the pin"))?;
        let entry = Entry {
            article_id: Some(article_id),
            comment_id: Some(id),
            target_user_id: Some(comment.author_id),
            ..Entry::new(Action::pin(pinned), Some(moderator.id))
        };
        log::record(conn, entry, now)
            .await
            .map_err(ModerationError::at("logging the pin"))?;
        let kind = if pinned {
            EventKind::CommentPinned
        } else {
            EventKind::CommentUnpinned
        };
        append_events(conn, &[Event::comment(kind, article_id, id)]).await
    })
    .await?;
    moderator_view(&mut conn, id, moderator, now).await
}

/// Locks the comment, then its article (the lock order; the article row serialises pins, so
/// two moderators cannot both pin a fourth), and checks that a pin fits.
async fn lock_for_pin(
    conn: &mut AsyncPgConnection,
    id: CommentId,
    article_id: ArticleId,
    pinned: bool,
) -> Result<(), ModerationError> {
    let current = comments::lock_chain(conn, &[id.get()])
        .await
        .map_err(ModerationError::at("locking the comment"))?;
    queries::lock_article_row(conn, article_id)
        .await
        .map_err(ModerationError::at("locking the article"))?;
    if !pinned {
        return Ok(());
    }
    if !domain::is_live(current) {
        return Err(ModerationError::PinTargetNotLive);
    }
    let others = queries::other_pins(conn, article_id, id)
        .await
        .map_err(ModerationError::at("counting the article's pins"))?;
    domain::pin_fits(others)
}
