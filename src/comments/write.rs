//! Comment writes, each one transaction: creating (shared by the API and the demo seeder:
//! checks the parent, locks the ancestor chain, inserts, moves every counter), editing and
//! deleting. The handlers check and render the input; the rules that need locked rows are here.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::auth::extract::active_ban;
use crate::comments::queries::{self, NewComment};
use crate::error::{ApiError, FieldError};
use crate::ids::{ArticleId, CommentId, UserId};
use crate::predictions::domain::PredictionEdit;
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
        let ban =
            crate::moderation::queries::hold_against_bans(conn, UserId(comment.author_id)).await?;
        if let Some(ban) = active_ban(
            ban.banned_at,
            ban.banned_until,
            ban.ban_reason,
            comment.created_at,
        ) {
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
            crate::predictions::queries::insert(
                conn,
                CommentId(id),
                ArticleId(article_id),
                UserId(author_id),
                prediction,
                now,
            )
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

/// Edits a comment as its author, in one transaction: the body (already checked and rendered)
/// and/or the prediction's terms, while the thread is open, the comment live and, for the
/// terms, nobody else has forecast. The previous version goes into the edit history.
pub async fn edit_comment(
    conn: &mut AsyncPgConnection,
    id: i64,
    author_id: i64,
    new_text: Option<(String, String)>,
    edit: Option<PredictionEdit>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    conn.transaction(async |conn| {
        let comment = queries::find_for_write(conn, id)
            .await?
            .ok_or_else(|| comment_not_found(id))?;
        if comment.author_id != author_id {
            return Err(ApiError::forbidden("only the author may edit a comment"));
        }
        if comment.article_locked {
            let reason =
                crate::articles::queries::lock_reason(conn, ArticleId(comment.article_id)).await?;
            return Err(crate::comments::domain::thread_locked(reason));
        }
        let state = queries::lock_chain(conn, &[id]).await?;
        if state.as_deref() != Some("visible") {
            return Err(ApiError::conflict(
                "comment-not-live",
                "the comment was deleted or removed",
            ));
        }
        // Re-read under the lock: a concurrent edit may have replaced the text meanwhile, and
        // the history must keep that version too.
        let current = queries::find_for_write(conn, id)
            .await?
            .ok_or_else(|| comment_not_found(id))?;
        let prediction = crate::predictions::queries::lock_for_comment(conn, CommentId(id)).await?;
        let previous_terms = match &prediction {
            Some(p) => Some(crate::predictions::queries::current_terms(conn, p.id).await?),
            None => None,
        };
        if let Some(edit) = &edit {
            let Some(locked) = &prediction else {
                return Err(ApiError::invalid(
                    "prediction",
                    "not_allowed",
                    "a prediction can only be made when the comment is posted",
                ));
            };
            if locked.outcome.is_some() || now >= locked.resolves_at {
                return Err(ApiError::conflict(
                    "prediction-closed",
                    "the prediction is closed; its terms are fixed",
                ));
            }
            if locked.other_forecasters > 0 {
                return Err(ApiError::conflict(
                    "prediction-has-forecasts",
                    "others have forecast on this prediction; its terms are fixed",
                ));
            }
            let (claim, criteria, resolves_at) = previous_terms
                .clone()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a prediction without terms")))?;
            crate::predictions::queries::update_terms(
                conn,
                locked.id,
                edit.claim.as_deref().unwrap_or(&claim),
                match &edit.criteria {
                    Some(new) => new.as_deref(),
                    None => criteria.as_deref(),
                },
                edit.resolves_at.unwrap_or(resolves_at),
            )
            .await?;
        }
        let (new_body, html) = match &new_text {
            Some((text, html)) => (text.clone(), html.clone()),
            _ => (
                current.body.clone(),
                crate::comments::domain::render_body(&current.body)
                    .map_err(|e| ApiError::Validation(vec![e]))?,
            ),
        };
        queries::record_edit(
            conn,
            &current,
            previous_terms.as_ref(),
            &new_body,
            &html,
            now,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Deletes a comment as its author: a live one is erased and leaves the counters; a removed
/// one is erased too (the author's deletion wins; its counters already dropped). Repeating it
/// changes nothing.
pub async fn delete_comment(
    conn: &mut AsyncPgConnection,
    id: i64,
    author_id: i64,
) -> Result<(), ApiError> {
    conn.transaction(async |conn| {
        let comment = queries::find_for_write(conn, id)
            .await?
            .ok_or_else(|| comment_not_found(id))?;
        if comment.author_id != author_id {
            return Err(ApiError::forbidden("only the author may delete a comment"));
        }
        let state = queries::lock_chain(conn, &comment.chain()).await?;
        match state.as_deref() {
            Some("visible") => {
                queries::erase(conn, id).await?;
                queries::count_in_ancestors(conn, &comment.ancestors(), -1).await?;
                queries::count_in_article(conn, comment.article_id, -1).await?;
            }
            // The author's deletion wins over a removal: the text is erased and a later
            // restore finds nothing to restore. Its counters already dropped at the removal.
            Some("removed") => queries::erase(conn, id).await?,
            _ => {}
        }
        Ok::<_, ApiError>(())
    })
    .await
}

/// The 404 for a comment id that names nothing.
pub fn comment_not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("comment {id}"))
}
