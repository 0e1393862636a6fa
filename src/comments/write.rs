//! Creating a comment, shared by the API and the demo seeder: checks the parent, locks the
//! ancestor chain, inserts, and moves every counter in one transaction.

use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::auth::extract::active_ban;
use crate::comments::queries::{self, NewComment};
use crate::error::{ApiError, FieldError};
use crate::predictions::queries::NewPrediction;

/// Inserts `comment` (its `path` and `depth` are filled in from the parent) and returns its id.
/// The author's ban is checked again inside the transaction, ordered against bans (see
/// `hold_against_bans`): a ban that removes the author's content never misses a comment
/// committed while it ran.
pub async fn create_comment(
    conn: &mut AsyncPgConnection,
    mut comment: NewComment<'_>,
    prediction: Option<NewPrediction>,
) -> Result<i64, ApiError> {
    conn.transaction(async |conn| {
        let (banned_at, banned_until, reason) =
            crate::moderation::queries::hold_against_bans(conn, comment.author_id).await?;
        if let Some(ban) = active_ban(banned_at, banned_until, reason, comment.created_at) {
            return Err(ban.problem());
        }
        if let Some(parent_id) = comment.parent_id {
            comment.path = reply_path(conn, comment.article_id, parent_id).await?;
            comment.depth = i32::try_from(comment.path.len()).unwrap_or(i32::MAX);
        }
        let path = comment.path.clone();
        let (article_id, author_id, now) =
            (comment.article_id, comment.author_id, comment.created_at);
        let id = queries::insert(conn, comment).await?;
        if let Some(prediction) = &prediction {
            crate::predictions::queries::insert(conn, id, article_id, author_id, prediction, now)
                .await?;
        }
        queries::count_in_ancestors(conn, &path, 1).await?;
        let (locked, reason) = queries::count_in_locked_article(conn, article_id, 1).await?;
        if locked {
            return Err(crate::comments::domain::thread_locked(reason));
        }
        Ok(id)
    })
    .await
}

/// The 422 for a `parent_id` that names no comment of this article.
pub fn parent_not_found() -> FieldError {
    FieldError::new(
        "parent_id",
        "not_found",
        "no such comment under this article",
    )
}

/// Whether `parent_id` is a comment of this (live) article, without locking.
pub async fn parent_in_article(
    conn: &mut AsyncPgConnection,
    article_id: i64,
    parent_id: i64,
) -> Result<bool, ApiError> {
    Ok(queries::find_for_write(conn, parent_id)
        .await?
        .is_some_and(|p| p.article_id == article_id))
}

/// Checks the parent (same article, live, locked for the rest of the transaction) and returns
/// the new comment's ancestor path.
async fn reply_path(
    conn: &mut AsyncPgConnection,
    article_id: i64,
    parent_id: i64,
) -> Result<Vec<i64>, ApiError> {
    let parent = queries::find_for_write(conn, parent_id)
        .await?
        .filter(|p| p.article_id == article_id)
        .ok_or_else(|| {
            ApiError::invalid(
                "parent_id",
                "not_found",
                "no such comment under this article",
            )
        })?;
    let chain = parent.chain();
    let state = queries::lock_chain(conn, &chain).await?;
    if state.as_deref() != Some("visible") {
        return Err(ApiError::conflict(
            "parent-not-live",
            "the comment replied to was deleted or removed",
        ));
    }
    Ok(chain)
}
