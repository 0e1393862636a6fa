//! Comment writes, each one transaction: creating (shared by the API and the demo seeder:
//! checks the parent, locks the ancestor chain, inserts, moves every counter), editing and
//! deleting. The service checks and renders the input; the rules that need locked rows are
//! here, and every refusal is a [`CommentError`].

use crate::ids::{ArticleId, CommentId, UserId};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::auth::extract::active_ban;
use crate::comments::error::CommentError;
use crate::comments::queries::{self, CommentForWrite, NewComment, Terms};
use crate::comments::state::CommentState;
use crate::events::{Event, EventKind};
use crate::predictions::domain::PredictionEdit;
use crate::predictions::queries::{self as predictions, LockedPrediction, NewPrediction};

/// A new body, checked and rendered by the caller: the Markdown as stored and its HTML.
#[derive(Debug, Clone)]
pub struct NewText {
    /// Markdown (NFC, trimmed).
    pub body: String,
    /// The sanitised HTML rendered from it.
    pub html: String,
}

/// Inserts `comment` (its `path` and `depth` are filled in from the parent) and returns its id.
/// The author's ban is checked again inside the transaction, ordered against bans (see
/// `hold_against_bans`): a ban that removes the author's content never misses a comment
/// committed while it ran.
#[tracing::instrument(skip_all, fields(article_id = comment.article_id, author_id = comment.author_id, parent_id = comment.parent_id))]
pub async fn create_comment(
    conn: &mut AsyncPgConnection,
    mut comment: NewComment<'_>,
    prediction: Option<NewPrediction>,
) -> Result<CommentId, CommentError> {
    conn.transaction(async |conn| {
        let ban = crate::moderation::queries::hold_against_bans(conn, UserId(comment.author_id))
            .await
            .map_err(CommentError::at("holding the author's ban lock"))?;
        if let Some(ban) = active_ban(
            ban.banned_at,
            ban.banned_until,
            ban.ban_reason,
            comment.created_at,
        ) {
            return Err(CommentError::Banned(ban));
        }
        if let Some(parent_id) = comment.parent_id {
            comment.path =
                reply_path(conn, ArticleId(comment.article_id), CommentId(parent_id)).await?;
            comment.depth = i32::try_from(comment.path.len()).unwrap_or(i32::MAX);
        }
        let path = comment.path.clone();
        let (article_id, author_id, now) =
            (comment.article_id, comment.author_id, comment.created_at);
        let id = queries::insert(conn, comment)
            .await
            .map_err(CommentError::at("inserting the comment"))?;
        if let Some(prediction) = &prediction {
            predictions::insert(
                conn,
                id,
                ArticleId(article_id),
                UserId(author_id),
                prediction,
                now,
            )
            .await
            .map_err(CommentError::at("inserting the comment's prediction"))?;
        }
        queries::count_in_ancestors(conn, &path, 1)
            .await
            .map_err(CommentError::at("counting the reply in its ancestors"))?;
        let lock = queries::count_in_locked_article(conn, ArticleId(article_id), 1)
            .await
            .map_err(CommentError::at("counting the comment in its article"))?;
        if lock.locked {
            return Err(CommentError::ThreadLocked {
                reason: lock.reason,
            });
        }
        let event = Event::comment(EventKind::CommentCreated, ArticleId(article_id), id);
        append_events(conn, &[event]).await?;
        Ok(id)
    })
    .await
}

/// Appends the write's live events: the last statement of its transaction (see `events`).
async fn append_events(conn: &mut AsyncPgConnection, events: &[Event]) -> Result<(), CommentError> {
    crate::events::queries::append(conn, events)
        .await
        .map_err(CommentError::at("appending the live events"))
}

/// Whether `parent_id` is a comment of this (live) article, without locking: the early check
/// that lets one 422 name every bad field (the transaction checks again under lock).
#[tracing::instrument(skip_all, fields(article_id, parent_id))]
pub async fn parent_in_article(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    parent_id: CommentId,
) -> Result<bool, CommentError> {
    Ok(queries::find_for_write(conn, parent_id)
        .await
        .map_err(CommentError::at("reading the parent comment"))?
        .is_some_and(|p| p.article_id == article_id))
}

/// Checks the parent (same article, live, locked for the rest of the transaction) and returns
/// the new comment's ancestor path.
async fn reply_path(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    parent_id: CommentId,
) -> Result<Vec<i64>, CommentError> {
    let parent = queries::find_for_write(conn, parent_id)
        .await
        .map_err(CommentError::at("reading the parent comment"))?
        .filter(|p| p.article_id == article_id)
        .ok_or(CommentError::ParentNotFound)?;
    let chain = parent.chain();
    let state = queries::lock_chain(conn, &chain)
        .await
        .map_err(CommentError::at("locking the parent's chain"))?;
    if state != Some(CommentState::Visible) {
        return Err(CommentError::ParentNotLive);
    }
    Ok(chain)
}

/// The comment as a write sees it, or the 404.
async fn existing(
    conn: &mut AsyncPgConnection,
    id: CommentId,
) -> Result<CommentForWrite, CommentError> {
    queries::find_for_write(conn, id)
        .await
        .map_err(CommentError::at("reading the comment"))?
        .ok_or(CommentError::NotFound(id))
}

/// Edits a comment as its author, in one transaction: the body (already checked and rendered)
/// and/or the prediction's terms, while the thread is open, the comment live and, for the
/// terms, nobody else has forecast. The previous version goes into the edit history.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), author_id = author_id.get()))]
pub async fn edit_comment(
    conn: &mut AsyncPgConnection,
    id: CommentId,
    author_id: UserId,
    new_text: Option<NewText>,
    edit: Option<PredictionEdit>,
    now: DateTime<Utc>,
) -> Result<(), CommentError> {
    conn.transaction(async |conn| {
        let comment = existing(conn, id).await?;
        if comment.author_id != author_id {
            return Err(CommentError::NotAuthorOfEdit);
        }
        if comment.article_locked {
            let reason = crate::articles::queries::lock_reason(conn, comment.article_id)
                .await
                .map_err(CommentError::at("reading the thread's lock reason"))?;
            return Err(CommentError::ThreadLocked { reason });
        }
        let state = queries::lock_chain(conn, &[id.get()])
            .await
            .map_err(CommentError::at("locking the comment"))?;
        if state != Some(CommentState::Visible) {
            return Err(CommentError::NotLive);
        }
        // Re-read under the lock: a concurrent edit may have replaced the text meanwhile, and
        // the history must keep that version too.
        let current = existing(conn, id).await?;
        let prediction = predictions::lock_for_comment(conn, id)
            .await
            .map_err(CommentError::at("locking the comment's prediction"))?;
        let previous_terms = match &prediction {
            Some(p) => Some(
                predictions::current_terms(conn, p.id)
                    .await
                    .map_err(CommentError::at("reading the prediction's terms"))?,
            ),
            None => None,
        };
        if let Some(edit) = &edit {
            change_terms(
                conn,
                prediction.as_ref(),
                previous_terms.as_ref(),
                edit,
                now,
            )
            .await?;
        }
        let NewText { body, html } = match new_text {
            Some(text) => text,
            None => NewText {
                html: crate::comments::domain::render_body(&current.body)
                    .map_err(|e| CommentError::Invalid(vec![e]))?,
                body: current.body.clone(),
            },
        };
        queries::record_edit(conn, &current, previous_terms.as_ref(), &body, &html, now)
            .await
            .map_err(CommentError::at("recording the edit"))?;
        let event = Event::comment(EventKind::CommentEdited, comment.article_id, id);
        append_events(conn, &[event]).await
    })
    .await
}

/// Changes a prediction's terms within an edit: only a prediction that exists, is still open
/// and has no forecasts but its author's; fields the edit leaves out keep their current value.
async fn change_terms(
    conn: &mut AsyncPgConnection,
    prediction: Option<&LockedPrediction>,
    current: Option<&Terms>,
    edit: &PredictionEdit,
    now: DateTime<Utc>,
) -> Result<(), CommentError> {
    let Some(locked) = prediction else {
        return Err(CommentError::PredictionNotAllowed);
    };
    if locked.outcome.is_some() || now >= locked.resolves_at {
        return Err(CommentError::PredictionClosed);
    }
    if locked.other_forecasters > 0 {
        return Err(CommentError::PredictionHasForecasts);
    }
    let current = current.ok_or_else(|| CommentError::bug("a prediction without terms"))?;
    predictions::update_terms(
        conn,
        locked.id,
        edit.claim.as_deref().unwrap_or(&current.claim),
        match &edit.criteria {
            Some(new) => new.as_deref(),
            None => current.criteria.as_deref(),
        },
        edit.resolves_at.unwrap_or(current.resolves_at),
    )
    .await
    .map_err(CommentError::at("changing the prediction's terms"))
}

/// Deletes a comment as its author: a live one is erased and leaves the counters; a removed
/// one is erased too (the author's deletion wins; its counters already dropped). Repeating it
/// changes nothing.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), author_id = author_id.get()))]
pub async fn delete_comment(
    conn: &mut AsyncPgConnection,
    id: CommentId,
    author_id: UserId,
) -> Result<(), CommentError> {
    conn.transaction(async |conn| {
        let comment = existing(conn, id).await?;
        if comment.author_id != author_id {
            return Err(CommentError::NotAuthorOfDelete);
        }
        let state = queries::lock_chain(conn, &comment.chain())
            .await
            .map_err(CommentError::at("locking the comment chain"))?;
        match state {
            Some(CommentState::Visible) => {
                queries::erase(conn, id)
                    .await
                    .map_err(CommentError::at("erasing the comment"))?;
                queries::count_in_ancestors(conn, &comment.ancestors(), -1)
                    .await
                    .map_err(CommentError::at("uncounting the comment in its ancestors"))?;
                queries::count_in_article(conn, comment.article_id, -1)
                    .await
                    .map_err(CommentError::at("uncounting the comment in its article"))?;
            }
            // The author's deletion wins over a removal: the text is erased and a later
            // restore finds nothing to restore. Its counters already dropped at the removal.
            Some(CommentState::Removed) => queries::erase(conn, id)
                .await
                .map_err(CommentError::at("erasing the removed comment"))?,
            Some(CommentState::Deleted) | None => return Ok(()),
        }
        let event = Event::comment(EventKind::CommentDeleted, comment.article_id, id);
        append_events(conn, &[event]).await
    })
    .await
}
