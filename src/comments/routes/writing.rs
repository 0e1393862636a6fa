//! Writing comments: create, edit, delete. Handlers check the caller (ban, rate limits),
//! call `comments::service::writing` and answer with the comment as its author now sees it.

use crate::ids::CommentId;
use actix_web::{delete, patch, post, web, HttpRequest, HttpResponse};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::auth::{AuthConn, AuthUser};
use crate::comments::model::*;
use crate::comments::service::{reading, writing};
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiJson;
use crate::http::idempotency::{self, Answer, Claim};
use crate::http::problems::*;
use crate::startup::AppState;

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
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. A retry with the same key within 24 hours answers the first response (with `Idempotent-Replayed: true`) and creates nothing; the same key with another body is a 422. Scoped per user.")
    ),
    request_body = CreateCommentRequest,
    responses(
        (status = 201, description = "Created", body = CommentView),
        (status = 409, description = "Replying to a deleted or removed comment", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/articles/{slug}/comments")]
#[tracing::instrument(skip_all, fields(slug = %slug, user_id = caller.user.id.get()))]
pub async fn create_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: ApiJson<CreateCommentRequest>,
    caller: AuthConn,
) -> Result<HttpResponse, ApiError> {
    let AuthConn { user, mut conn } = caller;
    user.ensure_can_contribute()?;
    limit_comments(&state, &user, CommentWrite::Create)?;
    let keyed = idempotency::keyed(&req, format!("user:{}", user.id), body.digest())?;
    let body = body.into_inner()?;
    let now = state.clock.now();
    let Some(keyed) = keyed else {
        let answer = post_and_answer(&state, &mut conn, &user, &slug, &body).await?;
        return Ok(answer.into_response());
    };
    // The key commits with the comment: a crash never keeps one without the other.
    let answer = conn
        .transaction(async |conn| {
            if let Claim::Replay(answer) = idempotency::claim(conn, &keyed, now).await? {
                return Ok::<_, ApiError>(answer);
            }
            let answer = post_and_answer(&state, conn, &user, &slug, &body).await?;
            idempotency::complete(conn, &keyed, &answer).await?;
            Ok(answer)
        })
        .await?;
    Ok(answer.into_response())
}

/// Writes the comment and answers with it as its author sees it, on the request's connection.
async fn post_and_answer(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    slug: &str,
    body: &CreateCommentRequest,
) -> Result<Answer, ApiError> {
    let now = state.clock.now();
    let id = writing::post(conn, user.id, slug, body, now).await?;
    state.metrics.count(crate::metrics::Event::Comment);
    let view = reading::comment_on(conn, id, Some(user), now).await?;
    Answer::json(actix_web::http::StatusCode::CREATED, &view)
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
        PreconditionFailed, BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[patch("/comments/{id}")]
#[tracing::instrument(skip_all, fields(comment_id = *id, user_id = caller.user.id.get()))]
pub async fn update_comment(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
    body: ApiJson<UpdateCommentRequest>,
    caller: AuthConn,
) -> Result<web::Json<CommentView>, ApiError> {
    let AuthConn { user, mut conn } = caller;
    user.ensure_can_contribute()?;
    limit_comments(&state, &user, CommentWrite::Edit)?;
    let body = body.into_inner()?;
    let comment = crate::http::caching::Resource::Comment(*id);
    let get_route = "/api/v1/comments/{id}";
    crate::http::caching::check_if_match(&state, &req, Some(&user), comment, get_route).await?;
    let now = state.clock.now();
    writing::edit(&mut conn, user.id, CommentId(*id), &body, now).await?;
    let view = reading::comment_on(&mut conn, CommentId(*id), Some(&user), now).await?;
    Ok(web::Json(view))
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
#[tracing::instrument(skip_all, fields(comment_id = *id, user_id = user.id.get()))]
pub async fn delete_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    writing::delete(&state.pool, user.id, CommentId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
