//! `PUT /comments/{id}/vote`: the caller checked (ban, rate limit), one call of
//! `comments::votes::vote`, the counters answered.

use crate::ids::CommentId;
use actix_web::{put, web};

use crate::auth::AuthUser;
use crate::comments::model::{VoteRequest, VoteResult};
use crate::comments::votes;
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;

/// Vote on a comment: 1 up, -1 down, 0 clears. Idempotent: the same value twice changes
/// nothing.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = VoteRequest,
    responses(
        (status = 200, description = "The comment's counters after this vote", body = VoteResult),
        (status = 403, description = "Voting on your own comment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The comment is deleted or removed", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[put("/comments/{id}/vote")]
#[tracing::instrument(skip_all, fields(comment_id = *id, user_id = user.id.get()))]
pub async fn vote(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<VoteRequest>,
) -> Result<web::Json<VoteResult>, ApiError> {
    user.ensure_can_contribute()?;
    state
        .limiter
        .take(state.limiter.limits().votes, &format!("votes:{}", user.id))?;
    let body = body.into_inner()?;
    let result = votes::vote(
        &state.pool,
        user.id,
        CommentId(*id),
        body.value,
        state.clock.now(),
    )
    .await?;
    state.metrics.count(crate::metrics::Event::Vote);
    Ok(web::Json(result))
}
