//! Comment handlers: the thread (tree, replies, flat), single comments, writes and history.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts;
use crate::articles::queries::find_live_id;
use crate::auth::{AuthUser, MaybeUser};
use crate::comments::domain;
use crate::comments::model::*;
use crate::comments::queries::{self, NewComment};
use crate::comments::sort::Sort;
use crate::comments::thread::{self, After, Scope, TreeShape};
use crate::comments::write;
use crate::error::{ApiError, FieldErrors, Problem};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::problems::*;
use crate::pagination::first_field;
use crate::pagination::{self, Cursor, Page};
use crate::startup::AppState;
use crate::text::required_text;

/// Registers every comment route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_comment)
        .service(article_thread)
        .service(article_flat)
        .service(get_comment)
        .service(comment_replies)
        .service(update_comment)
        .service(delete_comment)
        .service(comment_edits)
        .service(user_comments)
        .service(super::votes::vote);
}

/// Query of the tree endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TreeQuery {
    /// Sibling order at every level (default `best`).
    pub sort: Option<Sort>,
    /// Top-level comments per page, 1–100 (default 20).
    pub limit: Option<i64>,
    /// Levels returned, the top level included, 1–10 (default 4).
    pub depth: Option<i64>,
    /// Replies per comment, 0–50 (default 5).
    pub replies_limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Query of the flat endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlatQuery {
    /// Order (default `new`).
    pub sort: Option<Sort>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Query of a user's comment history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

struct TreeRequest {
    sort: Sort,
    shape: TreeShape,
    cursor: Option<Cursor>,
}

fn missing() -> ApiError {
    ApiError::internal(anyhow::anyhow!("validated fields missing"))
}

fn parse_tree_query(query: TreeQuery, list: &str) -> Result<TreeRequest, ApiError> {
    let sort = query.sort.unwrap_or(Sort::Best);
    let mut errors = FieldErrors::new();
    let limit = errors.check(pagination::bounded(query.limit, "limit", 20, 1, 100));
    let depth = errors.check(pagination::bounded(query.depth, "depth", 4, 1, 10));
    let replies_limit = errors.check(pagination::bounded(
        query.replies_limit,
        "replies_limit",
        5,
        0,
        50,
    ));
    let cursor = errors.check(
        pagination::decode_optional(query.cursor.as_deref(), list, sort.as_str())
            .map_err(first_field),
    );
    errors.finish()?;
    let (Some(limit), Some(depth), Some(replies_limit), Some(cursor)) =
        (limit, depth, replies_limit, cursor)
    else {
        return Err(missing());
    };
    Ok(TreeRequest {
        sort,
        shape: TreeShape {
            limit,
            depth: i32::try_from(depth).unwrap_or(4),
            replies_limit,
        },
        cursor,
    })
}

fn keyset(sort: Sort, cursor: Option<Cursor>) -> Result<Option<After>, ApiError> {
    cursor
        .map(|c| {
            sort.key_text(&c.key)
                .map(|key| After { key, id: c.id })
                .ok_or_else(|| ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor"))
        })
        .transpose()
}

fn next_cursor(list: &str, sort: Sort, last: Option<&CommentRow>) -> Option<String> {
    last.map(|row| pagination::encode(list, sort.as_str(), sort.key_of(row), row.id))
}

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

fn article_not_found(slug: &str) -> ApiError {
    ApiError::not_found(format!("article {slug}"))
}

fn comment_not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("comment {id}"))
}

async fn load_view(
    state: &AppState,
    id: i64,
    reader: Option<&AuthUser>,
) -> Result<CommentView, ApiError> {
    let mut conn = state.pool.get().await?;
    let row = thread::find_comment(&mut conn, id, reader.map(|u| u.id))
        .await?
        .ok_or_else(|| comment_not_found(id))?;
    Ok(CommentView::from_row(
        row,
        &ViewContext::of(reader, state.clock.now()),
    ))
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
    let article = found.as_ref().map(|(id, _, _)| *id);
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
    if let Some((_, true, reason)) = &found {
        return Err(domain::thread_locked(reason.clone()));
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

/// A page of an article's thread: top-level comments with nested replies.
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug"), TreeQuery),
    responses(
        (status = 200, description = "A page of the tree", body = Page<CommentView>, example = json!({
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
        Unauthorized, NotFound, Invalid, Unavailable
    )
)]
#[get("/articles/{slug}/comments")]
pub async fn article_thread(
    state: web::Data<AppState>,
    reader: MaybeUser,
    slug: web::Path<String>,
    ApiQuery(query): ApiQuery<TreeQuery>,
) -> Result<web::Json<Page<CommentView>>, ApiError> {
    // Parameters first: a bad query is a 422 before an unknown article is a 404.
    let list = format!("tree:{slug}");
    let request = parse_tree_query(query, &list)?;
    let after = keyset(request.sort, request.cursor)?;
    let mut conn = state.pool.get().await?;
    let (article_id, _, _) = find_live_id(&mut conn, &slug)
        .await?
        .ok_or_else(|| article_not_found(&slug))?;
    let page = thread::tree_page(
        &mut conn,
        Scope::Article(article_id),
        request.sort,
        request.shape,
        after,
        &ViewContext::of(reader.0.as_ref(), state.clock.now()),
    )
    .await?;
    Ok(web::Json(Page {
        next_cursor: next_cursor(&list, request.sort, page.next_after.as_ref()),
        items: page.items,
    }))
}

/// Every listed comment of an article in one flat list (no nesting), for live feeds and
/// moderation.
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug"), FlatQuery),
    responses(
        (status = 200, description = "A page of comments", body = Page<CommentView>),
        Unauthorized, NotFound, Invalid, Unavailable
    )
)]
#[get("/articles/{slug}/comments/flat")]
pub async fn article_flat(
    state: web::Data<AppState>,
    reader: MaybeUser,
    slug: web::Path<String>,
    ApiQuery(query): ApiQuery<FlatQuery>,
) -> Result<web::Json<Page<CommentView>>, ApiError> {
    let sort = query.sort.unwrap_or(Sort::New);
    let list = format!("flat:{slug}");
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        sort.as_str(),
    )?;
    let after = keyset(sort, cursor)?;
    let mut conn = state.pool.get().await?;
    let (article_id, _, _) = find_live_id(&mut conn, &slug)
        .await?
        .ok_or_else(|| article_not_found(&slug))?;
    let rows =
        thread::flat_page(&mut conn, article_id, sort, limit + 1, after, reader.id()).await?;
    let ctx = ViewContext::of(reader.0.as_ref(), state.clock.now());
    Ok(web::Json(page_of(rows, limit, &list, sort, |row| {
        CommentView::from_row(row, &ctx)
    })))
}

/// Cuts the look-ahead row off a page and builds the cursor from the last kept row.
fn page_of<T>(
    mut rows: Vec<CommentRow>,
    limit: i64,
    list: &str,
    sort: Sort,
    view: impl Fn(CommentRow) -> T,
) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        next_cursor(list, sort, rows.last())
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }
}

/// One comment (a deleted one answers as its placeholder).
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 200, description = "The comment, without replies", body = CommentView),
        Unauthorized, NotFound, Unavailable
    )
)]
#[get("/comments/{id}")]
pub async fn get_comment(
    state: web::Data<AppState>,
    reader: MaybeUser,
    id: web::Path<i64>,
) -> Result<web::Json<CommentView>, ApiError> {
    Ok(web::Json(load_view(&state, *id, reader.0.as_ref()).await?))
}

/// The replies of one comment, in the tree's shape ("continue this thread", "load more").
#[utoipa::path(
    tag = "comments",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id"), TreeQuery),
    responses(
        (status = 200, description = "A page of direct replies with their replies nested", body = Page<CommentView>),
        Unauthorized, NotFound, Invalid, Unavailable
    )
)]
#[get("/comments/{id}/replies")]
pub async fn comment_replies(
    state: web::Data<AppState>,
    reader: MaybeUser,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<TreeQuery>,
) -> Result<web::Json<Page<CommentView>>, ApiError> {
    let id = *id;
    let list = format!("replies:{id}");
    let request = parse_tree_query(query, &list)?;
    let after = keyset(request.sort, request.cursor)?;
    let mut conn = state.pool.get().await?;
    thread::find_comment(&mut conn, id, None)
        .await?
        .ok_or_else(|| comment_not_found(id))?;
    let page = thread::tree_page(
        &mut conn,
        Scope::Replies(id),
        request.sort,
        request.shape,
        after,
        &ViewContext::of(reader.0.as_ref(), state.clock.now()),
    )
    .await?;
    Ok(web::Json(Page {
        next_cursor: next_cursor(&list, request.sort, page.next_after.as_ref()),
        items: page.items,
    }))
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
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let comment = queries::find_for_write(conn, id)
            .await?
            .ok_or_else(|| comment_not_found(id))?;
        if comment.author_id != user.id {
            return Err(ApiError::forbidden("only the author may edit a comment"));
        }
        if comment.article_locked {
            let reason = crate::articles::queries::lock_reason(conn, comment.article_id).await?;
            return Err(domain::thread_locked(reason));
        }
        let state = queries::lock_chain(conn, &[id]).await?;
        if state.as_deref() != Some("visible") {
            return Err(ApiError::conflict(
                "comment-not-live",
                "the comment was deleted or removed",
            ));
        }
        // Re-read under the lock: a concurrent edit may have replaced the text meanwhile, and
        // the history must keep that version too.
        let current = queries::find_for_write(conn, id)
            .await?
            .ok_or_else(|| comment_not_found(id))?;
        let prediction = crate::predictions::queries::lock_for_comment(conn, id).await?;
        let previous_terms = match &prediction {
            Some(p) => Some(crate::predictions::queries::current_terms(conn, p.id).await?),
            None => None,
        };
        if let Some(edit) = &edit {
            let Some(locked) = &prediction else {
                return Err(ApiError::invalid(
                    "prediction",
                    "not_allowed",
                    "a prediction can only be made when the comment is posted",
                ));
            };
            if locked.outcome.is_some() || now >= locked.resolves_at {
                return Err(ApiError::conflict(
                    "prediction-closed",
                    "the prediction is closed; its terms are fixed",
                ));
            }
            if locked.other_forecasters > 0 {
                return Err(ApiError::conflict(
                    "prediction-has-forecasts",
                    "others have forecast on this prediction; its terms are fixed",
                ));
            }
            let (claim, criteria, resolves_at) = previous_terms
                .clone()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a prediction without terms")))?;
            crate::predictions::queries::update_terms(
                conn,
                locked.id,
                edit.claim.as_deref().unwrap_or(&claim),
                match &edit.criteria {
                    Some(new) => new.as_deref(),
                    None => criteria.as_deref(),
                },
                edit.resolves_at.unwrap_or(resolves_at),
            )
            .await?;
        }
        let (new_body, html) = match (&text, &new_html) {
            (Some(text), Some(html)) => (text.clone(), html.clone()),
            _ => (
                current.body.clone(),
                domain::render_body(&current.body).map_err(|e| ApiError::Validation(vec![e]))?,
            ),
        };
        queries::record_edit(
            conn,
            &current,
            previous_terms.as_ref(),
            &new_body,
            &html,
            now,
        )
        .await?;
        Ok(())
    })
    .await?;
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
    conn.transaction(async |conn| {
        let comment = queries::find_for_write(conn, id)
            .await?
            .ok_or_else(|| comment_not_found(id))?;
        if comment.author_id != user.id {
            return Err(ApiError::forbidden("only the author may delete a comment"));
        }
        let state = queries::lock_chain(conn, &comment.chain()).await?;
        match state.as_deref() {
            Some("visible") => {
                queries::erase(conn, id).await?;
                queries::count_in_ancestors(conn, &comment.ancestors(), -1).await?;
                queries::count_in_article(conn, comment.article_id, -1).await?;
            }
            // The author's deletion wins over a removal: the text is erased and a later
            // restore finds nothing to restore. Its counters already dropped at the removal.
            Some("removed") => queries::erase(conn, id).await?,
            _ => {}
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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
pub async fn comment_edits(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<CommentEdits>, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let comment = queries::find_for_write(&mut conn, id)
        .await?
        .ok_or_else(|| comment_not_found(id))?;
    if comment.author_id != user.id && !user.role.is_moderator() {
        return Err(ApiError::forbidden(
            "only the author and moderators may read the edit history",
        ));
    }
    let items = queries::edits(&mut conn, id)
        .await?
        .into_iter()
        .map(
            |(body, written_at, replaced_at, claim, criteria, resolves_at)| CommentEdit {
                body,
                claim,
                criteria,
                resolves_at,
                written_at,
                replaced_at,
            },
        )
        .collect();
    Ok(web::Json(CommentEdits { items }))
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
pub async fn user_comments(
    state: web::Data<AppState>,
    reader: MaybeUser,
    username: web::Path<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<web::Json<Page<UserCommentView>>, ApiError> {
    let list = format!("user:{}", username.to_lowercase());
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        "new",
    )?;
    let after = keyset(Sort::New, cursor)?;
    let mut conn = state.pool.get().await?;
    let user = accounts::queries::find_by_username(&mut conn, &username)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {username}")))?;
    let rows = thread::user_comments(&mut conn, user.id, limit + 1, after, reader.id()).await?;
    let ctx = ViewContext::of(reader.0.as_ref(), state.clock.now());
    Ok(web::Json(page_of(rows, limit, &list, Sort::New, |row| {
        let article = ArticleRef {
            slug: row.article_slug.clone(),
            title: row.article_title.clone(),
        };
        UserCommentView {
            comment: CommentView::from_row(row, &ctx),
            article,
        }
    })))
}
