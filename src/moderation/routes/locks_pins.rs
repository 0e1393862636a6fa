//! `PUT /articles/{slug}/lock` and `PUT /comments/{id}/pin`.

use actix_web::{put, web};

use crate::articles::model::Article;
use crate::auth::Moderator;
use crate::comments::model::CommentView;
use crate::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::ids::CommentId;
use crate::moderation::model::{LockRequest, PinRequest};
use crate::moderation::service::locks_pins;
use crate::startup::AppState;

/// Lock or unlock an article's thread. While locked, new comments, replies and edits are
/// refused (403, `/problems/thread-locked`); reading, votes and forecasts go on.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = LockRequest,
    responses(
        (status = 200, description = "The article", body = Article),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[put("/articles/{slug}/lock")]
#[tracing::instrument(skip_all, fields(slug = %slug, moderator_id = moderator.0.id.get()))]
pub async fn lock_article(
    state: web::Data<AppState>,
    moderator: Moderator,
    slug: web::Path<String>,
    body: ApiJson<LockRequest>,
) -> Result<web::Json<Article>, ApiError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let article = locks_pins::lock_article(
        &state.pool,
        &moderator.0,
        &slug,
        body.locked,
        body.reason,
        now,
    )
    .await?;
    Ok(web::Json(article))
}

/// Pin or unpin a top-level comment (at most 3 per article). Pinned comments come first on the
/// first page of the tree, earliest pinned first, in every sort.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = PinRequest,
    responses(
        (status = 200, description = "The comment", body = CommentView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[put("/comments/{id}/pin")]
#[tracing::instrument(skip_all, fields(comment_id = *id, moderator_id = moderator.0.id.get()))]
pub async fn pin_comment(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
    body: ApiJson<PinRequest>,
) -> Result<web::Json<CommentView>, ApiError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let view = locks_pins::pin_comment(&state.pool, &moderator.0, CommentId(*id), body.pinned, now)
        .await?;
    Ok(web::Json(view))
}
