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
use crate::notifications::domain::{newly_mentioned, MAX_NOTIFIED_MENTIONS};
use crate::notifications::queries::MentionedUser;
use crate::notifications::{self, NewNotification, NotificationKind};
use crate::predictions::domain::PredictionEdit;
use crate::predictions::queries::{self as predictions, LockedPrediction, NewPrediction};

/// A new body, checked and rendered by the caller: the Markdown as stored, its HTML, and the
/// existing users it mentions (in the order it names them).
#[derive(Debug, Clone)]
pub struct NewText {
    /// Markdown (NFC, trimmed).
    pub body: String,
    /// The sanitised HTML rendered from it (mentions linked).
    pub html: String,
    /// The users it mentions (`notifications::service::mentioned_users`).
    pub mentioned: Vec<MentionedUser>,
}

/// Inserts `comment` (its `path` and `depth` are filled in from the parent) and returns its id.
/// The author's ban is checked again inside the transaction, ordered against bans (see
/// `hold_against_bans`): a ban that removes the author's content never misses a comment
/// committed while it ran. In the same transaction the parent's author is notified of the
/// reply and the `mentioned` users of the mention (`notifications::for_new_comment`).
#[tracing::instrument(skip_all, fields(article_id = comment.article_id, author_id = comment.author_id, parent_id = comment.parent_id))]
pub async fn create_comment(
    conn: &mut AsyncPgConnection,
    mut comment: NewComment<'_>,
    prediction: Option<NewPrediction>,
    mentioned: &[UserId],
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
        let mut parent_author = None;
        if let Some(parent_id) = comment.parent_id {
            let parent =
                lock_live_parent(conn, ArticleId(comment.article_id), CommentId(parent_id)).await?;
            parent_author = Some(parent.author_id);
            comment.path = parent.chain();
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
        let (article_id, author_id) = (ArticleId(article_id), UserId(author_id));
        let told =
            notifications::for_new_comment(author_id, article_id, id, parent_author, mentioned);
        let mut events = notify(conn, &told, now).await?;
        events.insert(0, Event::comment(EventKind::CommentCreated, article_id, id));
        append_events(conn, &events).await?;
        Ok(id)
    })
    .await
}

/// Records the write's notifications (see `notifications::record`); returns their events.
async fn notify(
    conn: &mut AsyncPgConnection,
    notifications: &[NewNotification],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, CommentError> {
    notifications::record(conn, notifications, now)
        .await
        .map_err(CommentError::at("recording the notifications"))
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
/// it: its chain is the new comment's ancestor path, its author the one a reply notifies.
async fn lock_live_parent(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    parent_id: CommentId,
) -> Result<CommentForWrite, CommentError> {
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
    Ok(parent)
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
        let text = match new_text {
            Some(text) => text,
            None => rerendered(conn, &current.body).await?,
        };
        queries::record_edit(
            conn,
            &current,
            previous_terms.as_ref(),
            &text.body,
            &text.html,
            now,
        )
        .await
        .map_err(CommentError::at("recording the edit"))?;
        let told = edit_mentions(conn, &current, &text.mentioned).await?;
        let mut events = notify(conn, &told, now).await?;
        events.insert(
            0,
            Event::comment(EventKind::CommentEdited, comment.article_id, id),
        );
        append_events(conn, &events).await
    })
    .await
}

/// The current body rendered again (its mentions linked as of now), for an edit of the
/// prediction alone; it mentions nobody new.
async fn rerendered(conn: &mut AsyncPgConnection, body: &str) -> Result<NewText, CommentError> {
    let (_, links) = crate::notifications::service::mentioned_users(conn, body)
        .await
        .map_err(CommentError::at("looking up the mentioned users"))?;
    let html = crate::comments::domain::render_body_linking(body, &links)
        .map_err(|e| CommentError::Invalid(vec![e]))?;
    Ok(NewText {
        body: body.to_owned(),
        html,
        mentioned: Vec::new(),
    })
}

/// The mentions an edit notifies: users the new text mentions and the old one did not, but not
/// the parent's author when the comment's reply notification reached them (told of the comment
/// once; a reply never written, because they muted the subtree or switched replies off, does
/// not swallow the mention), and no more than the comment's remaining share of
/// `MAX_NOTIFIED_MENTIONS`, so repeated edits cannot page a crowd either.
async fn edit_mentions(
    conn: &mut AsyncPgConnection,
    before: &CommentForWrite,
    mentioned: &[MentionedUser],
) -> Result<Vec<NewNotification>, CommentError> {
    let names: Vec<String> = mentioned
        .iter()
        .map(|u| u.username.to_ascii_lowercase())
        .collect();
    let added = newly_mentioned(
        &crate::articles::markdown::mentions_in(&before.body),
        &names,
    );
    if added.is_empty() {
        return Ok(Vec::new());
    }
    let parent_author = match before.ancestors().last() {
        Some(parent) => queries::find_for_write(conn, CommentId(*parent))
            .await
            .map_err(CommentError::at("reading the parent comment"))?
            .map(|p| p.author_id),
        None => None,
    };
    // Only when the parent's author is among the names added: the usual edit reads nothing more.
    let adds = |u: &MentionedUser| added.contains(&u.username.to_ascii_lowercase());
    let replied = match parent_author {
        Some(parent) if mentioned.iter().any(|u| u.id == parent && adds(u)) => {
            crate::notifications::queries::told_by_reply(conn, parent, before.id)
                .await
                .map_err(CommentError::at("reading whether the reply was notified"))?
        }
        _ => false,
    };
    let told = crate::notifications::queries::mentions_of(conn, before.id)
        .await
        .map_err(CommentError::at("counting the comment's mentions"))?;
    let room = MAX_NOTIFIED_MENTIONS.saturating_sub(usize::try_from(told).unwrap_or(usize::MAX));
    Ok(mentioned
        .iter()
        .filter(|u| adds(u))
        .filter(|u| !(replied && Some(u.id) == parent_author) && u.id != before.author_id)
        .take(room)
        .map(|u| {
            NewNotification::new(NotificationKind::Mention, u.id, Some(before.author_id))
                .on_comment(before.article_id, before.id)
        })
        .collect())
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
