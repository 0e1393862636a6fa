//! Posting, editing and deleting comments: the request's fields checked together (one 422
//! names every bad field), the article and the parent looked up, then one transaction of
//! `comments::write`.

use crate::ids::{CommentId, UserId};
use chrono::{DateTime, Utc};

use crate::articles::markdown::MentionLinks;
use crate::articles::queries::find_live_id;
use crate::auth::extract::Ban;
use crate::comments::domain;
use crate::comments::error::CommentError;
use crate::comments::model::{CreateCommentRequest, UpdateCommentRequest, COMMENT_MAX};
use crate::comments::queries::create::{self, OneStatementComment};
use crate::comments::queries::NewComment;
use crate::comments::write::{self, NewText};
use crate::db::DbPool;
use crate::error::{FieldError, FieldErrors};
use crate::notifications::domain::MAX_NOTIFIED_MENTIONS;
use crate::notifications::queries::MentionedUser;
use crate::notifications::service::mentioned_users;
use crate::text::required_text;
use diesel_async::AsyncPgConnection;

/// The 422 entry for a `parent_id` that names no comment of this article.
fn parent_not_found() -> FieldError {
    FieldError::new(
        "parent_id",
        "not_found",
        "no such comment under this article",
    )
}

/// Posts a comment or a reply under the article `slug` and returns its id, on the request's one
/// connection. The order of the refusals is the API's: every invalid field (the parent
/// included) first, then an unknown article, then a locked thread; the write checks ban,
/// parent and lock again under its locks. A valid comment without a prediction is written by
/// one statement (`queries::create`, issue 19); an invalid one looks the article and the parent
/// up first, so one 422 names every field; one with a prediction takes the transaction of
/// `comments::write`.
#[tracing::instrument(skip_all, fields(slug = %slug, author_id, parent_id = request.parent_id))]
pub async fn post(
    conn: &mut AsyncPgConnection,
    author_id: UserId,
    slug: &str,
    request: &CreateCommentRequest,
    now: DateTime<Utc>,
) -> Result<CommentId, CommentError> {
    let mut errors = FieldErrors::new();
    let text = errors.check(required_text(&request.body, "body", 1, COMMENT_MAX, false));
    let (mentioned, links) = look_up_mentions(conn, text.as_deref()).await?;
    let html = text
        .as_deref()
        .and_then(|text| errors.check(domain::render_body_linking(text, &links)));
    let prediction = request
        .prediction
        .as_ref()
        .map(|p| crate::predictions::domain::parse_new(p, now, &mut errors));
    let mentioned: Vec<UserId> = mentioned.iter().map(|u| u.id).collect();
    if let (true, None, Some(text), Some(html)) = (errors.is_empty(), &prediction, &text, &html) {
        return post_in_one_statement(
            conn,
            author_id,
            slug,
            request,
            (text, html),
            &mentioned,
            now,
        )
        .await;
    }
    let found = find_live_id(conn, slug)
        .await
        .map_err(CommentError::at("finding the article"))?;
    if let (Some(article), Some(parent_id)) = (&found, request.parent_id) {
        // Checked again under lock when inserting; checked here so one 422 names every field.
        if !write::parent_in_article(conn, article.id, CommentId(parent_id)).await? {
            errors.push(parent_not_found());
        }
    }
    errors.finish().map_err(CommentError::from_validation)?;
    let article = found.ok_or_else(|| CommentError::ArticleNotFound(slug.to_owned()))?;
    let (Some(text), Some(html)) = (text, html) else {
        return Err(CommentError::bug("validated fields missing"));
    };
    if article.locked {
        return Err(CommentError::ThreadLocked {
            reason: article.lock_reason,
        });
    }
    let new = NewComment {
        article_id: article.id.get(),
        parent_id: request.parent_id,
        path: Vec::new(),
        depth: 0,
        author_id: author_id.get(),
        body: &text,
        body_html: &html,
        created_at: now,
        rank_hot: crate::comments::ranking::hot(0, now, now),
    };
    write::create_comment(conn, new, prediction.flatten(), &mentioned).await
}

/// A valid comment without a prediction: one call of `r.create_comment`, its outcome code
/// turned into the same refusals the transaction path gives.
async fn post_in_one_statement(
    conn: &mut AsyncPgConnection,
    author_id: UserId,
    slug: &str,
    request: &CreateCommentRequest,
    (text, html): (&str, &str),
    mentioned: &[UserId],
    now: DateTime<Utc>,
) -> Result<CommentId, CommentError> {
    // `for_new_comment`'s rules for mentions: never the author, at most the cap.
    let mentioned: Vec<UserId> = mentioned
        .iter()
        .copied()
        .filter(|u| *u != author_id)
        .take(MAX_NOTIFIED_MENTIONS)
        .collect();
    let row = create::create_comment(
        conn,
        OneStatementComment {
            slug,
            parent_id: request.parent_id.map(CommentId),
            author_id,
            body: text,
            body_html: html,
            now,
            rank_hot: crate::comments::ranking::hot(0, now, now),
            mentioned: &mentioned,
        },
    )
    .await
    .map_err(CommentError::at("creating the comment"))?;
    match row.outcome.as_str() {
        "ok" => row
            .comment_id
            .map(CommentId)
            .ok_or_else(|| CommentError::bug("created without an id")),
        "article_not_found" => Err(CommentError::ArticleNotFound(slug.to_owned())),
        "parent_not_found" => Err(CommentError::ParentNotFound),
        "locked" => Err(CommentError::ThreadLocked { reason: row.reason }),
        "banned" => Err(CommentError::Banned(Ban {
            reason: row.reason,
            until: row.banned_until,
        })),
        "parent_not_live" => Err(CommentError::ParentNotLive),
        _ => Err(CommentError::bug("an unknown outcome of r.create_comment")),
    }
}

/// Renders a body exactly as posting it would (mentions of existing users linked), without
/// storing anything: the widget's preview must show what the thread will show.
pub async fn preview(pool: &DbPool, body: &str) -> Result<String, CommentError> {
    let mut errors = FieldErrors::new();
    let text = errors.check(required_text(body, "body", 1, COMMENT_MAX, false));
    let mut conn = pool.get().await?;
    let (_, links) = look_up_mentions(&mut conn, text.as_deref()).await?;
    let html = text
        .as_deref()
        .and_then(|text| errors.check(domain::render_body_linking(text, &links)));
    errors.finish().map_err(CommentError::from_validation)?;
    html.ok_or_else(|| CommentError::bug("validated body missing"))
}

/// The existing users a body mentions, in the order it names them, and the links its
/// rendering needs (nothing without a body).
async fn look_up_mentions(
    conn: &mut AsyncPgConnection,
    text: Option<&str>,
) -> Result<(Vec<MentionedUser>, MentionLinks), CommentError> {
    match text {
        Some(text) => mentioned_users(conn, text)
            .await
            .map_err(CommentError::at("looking up the mentioned users")),
        None => Ok((Vec::new(), MentionLinks::new())),
    }
}

/// Edits a comment as its author, on the request's one connection: the body and/or the
/// prediction's terms, each checked before the transaction takes any lock.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), author_id = author_id.get()))]
pub async fn edit(
    conn: &mut AsyncPgConnection,
    author_id: UserId,
    id: CommentId,
    request: &UpdateCommentRequest,
    now: DateTime<Utc>,
) -> Result<(), CommentError> {
    if request.body.is_none() && request.prediction.is_none() {
        return Err(CommentError::NothingToChange);
    }
    let mut errors = FieldErrors::new();
    let text = request
        .body
        .as_deref()
        .and_then(|raw| errors.check(required_text(raw, "body", 1, COMMENT_MAX, false)));
    let (mentioned, links) = look_up_mentions(conn, text.as_deref()).await?;
    let new_html = text
        .as_deref()
        .and_then(|text| errors.check(domain::render_body_linking(text, &links)));
    let edit = request
        .prediction
        .as_ref()
        .map(|p| crate::predictions::domain::parse_edit(p, now, &mut errors));
    errors.finish().map_err(CommentError::from_validation)?;
    let new_text = text.zip(new_html).map(|(body, html)| NewText {
        body,
        html,
        mentioned,
    });
    write::edit_comment(conn, id, author_id, new_text, edit, now).await
}

/// Deletes a comment as its author (also one a moderator removed); repeating it is no error.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), author_id = author_id.get()))]
pub async fn delete(pool: &DbPool, author_id: UserId, id: CommentId) -> Result<(), CommentError> {
    let mut conn = pool.get().await?;
    write::delete_comment(&mut conn, id, author_id).await
}
