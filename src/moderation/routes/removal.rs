//! `POST` and `DELETE /comments/{id}/removal`.

use actix_web::{delete, post, web};

use crate::auth::Moderator;
use crate::comments::model::CommentView;
use crate::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::ids::CommentId;
use crate::moderation::model::RemovalRequest;
use crate::moderation::service::removal;
use crate::startup::AppState;

/// Remove a comment: it stays as a placeholder for readers (its text, author and prediction
/// claim hidden), while moderators and its author still see the text and the reason. Replies
/// stay. Moderators may remove their own comments.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = RemovalRequest,
    responses(
        (status = 200, description = "The removed comment, as moderators see it", body = CommentView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/comments/{id}/removal")]
#[tracing::instrument(skip_all, fields(comment_id = *id, moderator_id = moderator.0.id.get()))]
pub async fn remove_comment(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
    body: ApiJson<RemovalRequest>,
) -> Result<web::Json<CommentView>, ApiError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let view =
        removal::remove_comment(&state.pool, &moderator.0, CommentId(*id), &body.reason, now)
            .await?;
    Ok(web::Json(view))
}

/// Restore a removed comment.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 200, description = "The restored comment", body = CommentView),
        Unauthorized, Forbidden, NotFound, Conflict, Unavailable
    )
)]
#[delete("/comments/{id}/removal")]
#[tracing::instrument(skip_all, fields(comment_id = *id, moderator_id = moderator.0.id.get()))]
pub async fn restore_comment(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
) -> Result<web::Json<CommentView>, ApiError> {
    let now = state.clock.now();
    let view = removal::restore_comment(&state.pool, &moderator.0, CommentId(*id), now).await?;
    Ok(web::Json(view))
}
