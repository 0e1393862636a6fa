//! Posting, editing and deleting comments: the request's fields checked together (one 422
//! names every bad field), the article and the parent looked up, then one transaction of
//! `comments::write`.

use crate::ids::{CommentId, UserId};
use chrono::{DateTime, Utc};

use crate::articles::markdown::MentionLinks;
use crate::articles::queries::find_live_id;
use crate::comments::domain;
use crate::comments::error::CommentError;
use crate::comments::model::{CreateCommentRequest, UpdateCommentRequest, COMMENT_MAX};
use crate::comments::queries::NewComment;
use crate::comments::write::{self, NewText};
use crate::db::DbPool;
use crate::error::{FieldError, FieldErrors};
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

/// Posts a comment or a reply under the article `slug` and returns its id. The order of the
/// refusals is the API's: every invalid field (the parent included) first, then an unknown
/// article, then a locked thread; the transaction checks ban, parent and lock again.
#[tracing::instrument(skip_all, fields(slug = %slug, author_id, parent_id = request.parent_id))]
pub async fn post(
    pool: &DbPool,
    author_id: UserId,
    slug: &str,
    request: &CreateCommentRequest,
    now: DateTime<Utc>,
) -> Result<CommentId, CommentError> {
    let mut errors = FieldErrors::new();
    let text = errors.check(required_text(&request.body, "body", 1, COMMENT_MAX, false));
    let mut conn = pool.get().await?;
    let (mentioned, links) = look_up_mentions(&mut conn, text.as_deref()).await?;
    let html = text
        .as_deref()
        .and_then(|text| errors.check(domain::render_body_linking(text, &links)));
    let prediction = request
        .prediction
        .as_ref()
        .map(|p| crate::predictions::domain::parse_new(p, now, &mut errors));
    let found = find_live_id(&mut conn, slug)
        .await
        .map_err(CommentError::at("finding the article"))?;
    if let (Some(article), Some(parent_id)) = (&found, request.parent_id) {
        // Checked again under lock when inserting; checked here so one 422 names every field.
        if !write::parent_in_article(&mut conn, article.id, CommentId(parent_id)).await? {
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
    let mentioned: Vec<UserId> = mentioned.iter().map(|u| u.id).collect();
    write::create_comment(&mut conn, new, prediction.flatten(), &mentioned).await
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

/// Edits a comment as its author: the body and/or the prediction's terms, each checked
/// before the transaction takes any lock.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), author_id = author_id.get()))]
pub async fn edit(
    pool: &DbPool,
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
    let mut conn = pool.get().await?;
    let (mentioned, links) = look_up_mentions(&mut conn, text.as_deref()).await?;
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
    write::edit_comment(&mut conn, id, author_id, new_text, edit, now).await
}

/// Deletes a comment as its author (also one a moderator removed); repeating it is no error.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), author_id = author_id.get()))]
pub async fn delete(pool: &DbPool, author_id: UserId, id: CommentId) -> Result<(), CommentError> {
    let mut conn = pool.get().await?;
    write::delete_comment(&mut conn, id, author_id).await
}
