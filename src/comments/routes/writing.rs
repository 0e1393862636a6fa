//! Writing comments: create, edit, delete (the transactions are in `comments::write`).

use actix_web::{delete, patch, post, web, HttpResponse};

use crate::articles::queries::find_live_id;
use crate::auth::AuthUser;
use crate::comments::domain;
use crate::comments::model::*;
use crate::comments::queries::NewComment;
use crate::comments::write;
use crate::error::{ApiError, FieldErrors, Problem};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;
use crate::text::required_text;

use super::*;

/// What a comment write is charged to: new comments and edits have buckets of their own,
/// under the same rules.
#[derive(Clone, Copy)]
enum CommentWrite {
    Create,
    Edit,
}

/// Comment creation and editing: a short and an hourly bucket per user, stricter for accounts
/// younger than a day. Edits count like comments: each one renders Markdown and keeps the
/// previous text in the history.
fn limit_comments(state: &AppState, user: &AuthUser, write: CommentWrite) -> Result<(), ApiError> {
    let limits = state.limiter.limits();
    let kind = match write {
        CommentWrite::Create => "comments",
        CommentWrite::Edit => "edits",
    };
    let young = state.clock.now() - user.created_at < chrono::Duration::days(1);
    let (short, key) = if young {
        (
            limits.new_account_comments,
            format!("{kind}-new:{}", user.id),
        )
    } else {
        (limits.comments, format!("{kind}:{}", user.id))
    };
    state.limiter.take(short, &key)?;
    state.limiter.take(
        limits.comments_hourly,
        &format!("{kind}-hourly:{}", user.id),
    )
}

/// Post a comment or a reply. The body is Markdown (stored as written, in Unicode NFC); the
/// response carries it rendered and sanitised as `body_html`.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = CreateCommentRequest,
    responses(
        (status = 201, description = "Created", body = CommentView),
        (status = 409, description = "Replying to a deleted or removed comment", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/articles/{slug}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    body: ApiJson<CreateCommentRequest>,
) -> Result<HttpResponse, ApiError> {
    user.ensure_can_contribute()?;
    limit_comments(&state, &user, CommentWrite::Create)?;
    let body = body.into_inner()?;
    let mut errors = FieldErrors::new();
    let text = errors.check(required_text(&body.body, "body", 1, COMMENT_MAX, false));
    let html = text
        .as_deref()
        .and_then(|text| errors.check(domain::render_body(text)));
    let now = state.clock.now();
    let prediction = body
        .prediction
        .as_ref()
        .map(|p| crate::predictions::domain::parse_new(p, now, &mut errors));
    let mut conn = state.pool.get().await?;
    let found = find_live_id(&mut conn, &slug).await?;
    let article = found.as_ref().map(|a| a.id.get());
    if let (Some(article_id), Some(parent_id)) = (article, body.parent_id) {
        // Checked again under lock when inserting; checked here so one 422 names every field.
        if !write::parent_in_article(&mut conn, article_id, parent_id).await? {
            errors.push(write::parent_not_found());
        }
    }
    errors.finish()?;
    let (article_id, Some(text), Some(html)) =
        (article.ok_or_else(|| article_not_found(&slug))?, text, html)
    else {
        return Err(missing());
    };
    if let Some(locked) = found.as_ref().filter(|a| a.locked) {
        return Err(domain::thread_locked(locked.lock_reason.clone()));
    }
    let new = NewComment {
        article_id,
        parent_id: body.parent_id,
        path: Vec::new(),
        depth: 0,
        author_id: user.id,
        body: &text,
        body_html: &html,
        created_at: now,
        rank_hot: crate::comments::ranking::hot(0, now, now),
    };
    let id = write::create_comment(&mut conn, new, prediction.flatten()).await?;
    state.metrics.count(crate::metrics::Event::Comment);
    drop(conn);
    Ok(HttpResponse::Created().json(load_view(&state, id, Some(&user)).await?))
}

/// Edit a comment (its author only); the previous text goes into the edit history.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = UpdateCommentRequest,
    responses(
        (status = 200, description = "The edited comment", body = CommentView),
        (status = 409, description = "The comment is deleted or removed", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[patch("/comments/{id}")]
pub async fn update_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateCommentRequest>,
) -> Result<web::Json<CommentView>, ApiError> {
    user.ensure_can_contribute()?;
    limit_comments(&state, &user, CommentWrite::Edit)?;
    let body = body.into_inner()?;
    let id = *id;
    if body.body.is_none() && body.prediction.is_none() {
        return Err(ApiError::invalid(
            "body",
            "required",
            "give at least one field to change",
        ));
    }
    let now = state.clock.now();
    let mut errors = FieldErrors::new();
    let text = body
        .body
        .as_deref()
        .and_then(|raw| errors.check(required_text(raw, "body", 1, COMMENT_MAX, false)));
    let new_html = text
        .as_deref()
        .and_then(|text| errors.check(domain::render_body(text)));
    let edit = body
        .prediction
        .as_ref()
        .map(|p| crate::predictions::domain::parse_edit(p, now, &mut errors));
    errors.finish()?;
    let new_text = text.zip(new_html);
    let mut conn = state.pool.get().await?;
    write::edit_comment(&mut conn, id, user.id, new_text, edit, now).await?;
    drop(conn);
    Ok(web::Json(load_view(&state, id, Some(&user)).await?))
}

/// Delete an own comment (also one a moderator removed). Its text and edit history are erased
/// from the database; it stays as a placeholder while it has live replies. Deleting an
/// already deleted comment answers 204 again.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized, Forbidden, NotFound, Unavailable
    )
)]
#[delete("/comments/{id}")]
pub async fn delete_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    write::delete_comment(&mut conn, id, user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
