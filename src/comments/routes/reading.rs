//! Reading threads: the tree, the flat view, one comment, replies, edit history, a user's
//! comments. Each handler extracts, calls `comments::service::reading` and answers.

use crate::ids::CommentId;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::auth::{AuthUser, MaybeUser};
use crate::comments::model::*;
use crate::comments::params::{FlatQuery, HistoryQuery, TreeQuery};
use crate::comments::service::reading;
use crate::error::ApiError;
use crate::http::caching::{self, Rendered, Resource};
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::pagination::Page;
use crate::startup::AppState;

/// The reader's votes and forecasts patched into a shared anonymous page (`comments::overlay`).
fn overlay<'a>(
    state: &'a AppState,
    user: &'a AuthUser,
    body: Bytes,
) -> LocalBoxFuture<'a, Result<Option<Bytes>, ApiError>> {
    Box::pin(async move {
        let patched = crate::comments::overlay::overlay(&state.pool, user.id, &body).await?;
        Ok(patched.map(Bytes::from))
    })
}

/// A page of an article's thread: top-level comments with nested replies.
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug"), TreeQuery),
    responses(
        (status = 200, description = "A page of the tree", body = Page<CommentView>, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization")), example = json!({
            "items": [{
                "id": 7, "article_slug": "xi-lee-summit-2026", "parent_id": null,
                "author": {"id": 3, "username": "minji_demo", "display_name": "Min-ji (demo)", "track_record": null},
                "body": "The investment figure is eye-catching.", "body_html": "<p>The investment figure is eye-catching.</p>\n",
                "created_at": "2026-11-27T07:00:00Z", "edited_at": null, "depth": 0, "reply_count": 1,
                "descendant_count": 1, "deleted": false, "removed": false, "more_replies": 0,
                "upvotes": 4, "downvotes": 0, "score": 4, "my_vote": null, "prediction": null,
                "pinned": false, "removal_reason": null,
                "replies": []
            }],
            "next_cursor": null
        })),
        NotModified, Unauthorized, NotFound, Invalid, Unavailable
    )
)]
#[get("/articles/{slug}/comments")]
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn article_thread(
    state: web::Data<AppState>,
    req: HttpRequest,
    reader: MaybeUser,
    slug: web::Path<String>,
    ApiQuery(query): ApiQuery<TreeQuery>,
) -> Result<HttpResponse, ApiError> {
    let render = async |viewer| {
        let now = state.clock.now();
        let page = reading::article_thread(&state.pool, &slug, &query, viewer, now).await?;
        Rendered::json(&page)
    };
    let viewer = reader.0.as_ref();
    let (anonymous, personal) = (|| render(None), || render(viewer));
    let article = Resource::Article(&slug);
    caching::respond_overlaid(&state, &req, viewer, article, overlay, anonymous, personal).await
}

/// Every listed comment of an article in one flat list (no nesting), for live feeds and
/// moderation.
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug"), FlatQuery),
    responses(
        (status = 200, description = "A page of comments", body = Page<CommentView>, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, Unauthorized, NotFound, Invalid, Unavailable
    )
)]
#[get("/articles/{slug}/comments/flat")]
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn article_flat(
    state: web::Data<AppState>,
    req: HttpRequest,
    reader: MaybeUser,
    slug: web::Path<String>,
    ApiQuery(query): ApiQuery<FlatQuery>,
) -> Result<HttpResponse, ApiError> {
    let render = async |viewer| {
        let now = state.clock.now();
        let page = reading::article_flat(&state.pool, &slug, &query, viewer, now).await?;
        Rendered::json(&page)
    };
    let viewer = reader.0.as_ref();
    let (anonymous, personal) = (|| render(None), || render(viewer));
    let article = Resource::Article(&slug);
    caching::respond_overlaid(&state, &req, viewer, article, overlay, anonymous, personal).await
}

/// One comment (a deleted one answers as its placeholder).
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 200, description = "The comment, without replies", body = CommentView, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, Unauthorized, NotFound, Unavailable
    )
)]
#[get("/comments/{id}")]
#[tracing::instrument(skip_all, fields(comment_id = *id))]
pub async fn get_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    reader: MaybeUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let render = async |viewer| {
        let now = state.clock.now();
        let view = reading::comment(&state.pool, CommentId(*id), viewer, now).await?;
        Rendered::json(&view)
    };
    let viewer = reader.0.as_ref();
    let (anonymous, personal) = (|| render(None), || render(viewer));
    let comment = Resource::Comment(*id);
    caching::respond_overlaid(&state, &req, viewer, comment, overlay, anonymous, personal).await
}

/// The replies of one comment, in the tree's shape ("continue this thread", "load more").
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id"), TreeQuery),
    responses(
        (status = 200, description = "A page of direct replies with their replies nested", body = Page<CommentView>, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, Unauthorized, NotFound, Invalid, Unavailable
    )
)]
#[get("/comments/{id}/replies")]
#[tracing::instrument(skip_all, fields(comment_id = *id))]
pub async fn comment_replies(
    state: web::Data<AppState>,
    req: HttpRequest,
    reader: MaybeUser,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<TreeQuery>,
) -> Result<HttpResponse, ApiError> {
    let render = async |viewer| {
        let now = state.clock.now();
        let page = reading::replies(&state.pool, CommentId(*id), &query, viewer, now).await?;
        Rendered::json(&page)
    };
    let viewer = reader.0.as_ref();
    let (anonymous, personal) = (|| render(None), || render(viewer));
    let comment = Resource::Comment(*id);
    caching::respond_overlaid(&state, &req, viewer, comment, overlay, anonymous, personal).await
}

/// A comment's earlier versions, oldest first (its author, moderators and admins).
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 200, description = "The edit history", body = CommentEdits),
        Unauthorized, Forbidden, NotFound, Unavailable
    )
)]
#[get("/comments/{id}/edits")]
#[tracing::instrument(skip_all, fields(comment_id = *id, user_id = user.id.get()))]
pub async fn comment_edits(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<CommentEdits>, ApiError> {
    Ok(web::Json(
        reading::edit_history(&state.pool, CommentId(*id), &user).await?,
    ))
}

/// A user's comments, newest first, each with its article (deleted and removed ones left out).
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("username" = String, Path, description = "Username, any case"), HistoryQuery),
    responses(
        (status = 200, description = "A page of the user's comments", body = Page<UserCommentView>),
        Unauthorized, NotFound, Invalid, Unavailable
    )
)]
#[get("/users/{username}/comments")]
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn user_comments(
    state: web::Data<AppState>,
    reader: MaybeUser,
    username: web::Path<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<web::Json<Page<UserCommentView>>, ApiError> {
    let now = state.clock.now();
    let page =
        reading::user_comments(&state.pool, &username, &query, reader.0.as_ref(), now).await?;
    Ok(web::Json(page))
}
