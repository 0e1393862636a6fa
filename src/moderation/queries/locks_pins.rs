//! Thread locks and pins: the article columns a lock sets, and the pin columns of comments
//! with the article row lock that serialises pins of one article.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{articles, comments};
use crate::ids::{ArticleId, CommentId};

/// Locks or unlocks an article's thread; the reason is kept only while locked.
#[tracing::instrument(level = "debug", skip_all, fields(article_id = article_id.get(), locked = locked))]
pub async fn set_lock(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    locked: bool,
    reason: Option<&str>,
) -> QueryResult<()> {
    diesel::update(articles::table.find(article_id))
        .set((
            articles::locked.eq(locked),
            articles::lock_reason.eq(reason.filter(|_| locked)),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Locks the article row (after the comment, keeping the lock order comments → articles), so
/// two moderators cannot both pin a fourth comment.
#[tracing::instrument(level = "debug", skip_all, fields(article_id = article_id.get()))]
pub async fn lock_article_row(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
) -> QueryResult<()> {
    articles::table
        .find(article_id)
        .select(articles::id)
        .for_update()
        .first::<ArticleId>(conn)
        .await
        .map(|_| ())
}

/// How many comments of the article other than `except` are pinned.
#[tracing::instrument(level = "debug", skip_all, fields(article_id = article_id.get()))]
pub async fn other_pins(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    except: CommentId,
) -> QueryResult<i64> {
    comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::pinned_at.is_not_null())
        .filter(comments::id.ne(except))
        .count()
        .get_result(conn)
        .await
}

/// When the comment was pinned (None: not pinned).
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment_id.get()))]
pub async fn pinned_at(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
) -> QueryResult<Option<DateTime<Utc>>> {
    comments::table
        .find(comment_id)
        .select(comments::pinned_at)
        .first(conn)
        .await
}

/// Pins (`Some(now)`) or unpins (`None`) a comment.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment_id.get()))]
pub async fn set_pinned_at(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
    at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::update(comments::table.find(comment_id))
        .set(comments::pinned_at.eq(at))
        .execute(conn)
        .await
        .map(|_| ())
}
