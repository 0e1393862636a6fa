//! Reading threads: the tree, the flat view, one comment, replies, edit history, a user's comments.

use actix_web::{get, web};

use crate::accounts;
use crate::articles::queries::find_live_id;
use crate::auth::{AuthUser, MaybeUser};
use crate::comments::model::*;
use crate::comments::queries::{self, reads};
use crate::comments::sort::Sort;
use crate::comments::thread::{self, Scope};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::pagination::{self, Page};
use crate::startup::AppState;

use super::*;

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
    let article_id = find_live_id(&mut conn, &slug)
        .await?
        .ok_or_else(|| article_not_found(&slug))?
        .id
        .get();
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
    let article_id = find_live_id(&mut conn, &slug)
        .await?
        .ok_or_else(|| article_not_found(&slug))?
        .id
        .get();
    let rows = reads::flat_page(&mut conn, article_id, sort, limit + 1, after, reader.id()).await?;
    let ctx = ViewContext::of(reader.0.as_ref(), state.clock.now());
    Ok(web::Json(page_of(rows, limit, &list, sort, |row| {
        CommentView::from_row(row, &ctx)
    })))
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
    reads::find_comment(&mut conn, id, None)
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
    let rows = reads::user_comments(&mut conn, user.id, limit + 1, after, reader.id()).await?;
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
