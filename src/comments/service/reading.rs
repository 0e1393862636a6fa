//! Reading threads: one comment, the tree page of an article or of a comment's replies, the
//! flat view, a user's comments and a comment's edit history. Query parameters are checked
//! before anything is looked up (a bad query is a 422 before an unknown article is a 404).

use crate::ids::{ArticleId, CommentId, UserId};
use chrono::{DateTime, Utc};

use crate::accounts;
use crate::articles::queries::find_live_id;
use crate::auth::AuthUser;
use crate::comments::error::CommentError;
use crate::comments::model::*;
use crate::comments::params::{FlatQuery, HistoryQuery, TreeQuery};
use crate::comments::queries::{self, reads};
use crate::comments::sort::Sort;
use crate::comments::thread::{self, After, Scope, TreeShape};
use crate::db::DbPool;
use crate::error::FieldErrors;
use crate::pagination::{self, first_field, Cursor, Page};

/// A tree request after its parameters passed their checks.
struct TreeRequest {
    sort: Sort,
    shape: TreeShape,
    after: Option<After>,
}

/// Checks the tree endpoints' parameters together (one 422 names every bad one).
fn parse_tree_query(query: &TreeQuery, list: &str) -> Result<TreeRequest, CommentError> {
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
    errors.finish().map_err(CommentError::from_validation)?;
    let (Some(limit), Some(depth), Some(replies_limit), Some(cursor)) =
        (limit, depth, replies_limit, cursor)
    else {
        return Err(CommentError::bug("validated fields missing"));
    };
    Ok(TreeRequest {
        sort,
        shape: TreeShape {
            limit,
            depth: i32::try_from(depth).unwrap_or(4),
            replies_limit,
        },
        after: keyset(sort, cursor)?,
    })
}

/// The keyset position a cursor names, as the sort's key text; a cursor whose key does not
/// fit the sort is refused.
fn keyset(sort: Sort, cursor: Option<Cursor>) -> Result<Option<After>, CommentError> {
    cursor
        .map(|c| {
            sort.key_text(&c.key)
                .map(|key| After { key, id: c.id })
                .ok_or(CommentError::InvalidCursor)
        })
        .transpose()
}

/// A page of comment rows as views, its cursor made from the last kept row.
fn page_of<T>(
    rows: Vec<CommentRow>,
    limit: i64,
    list: &str,
    sort: Sort,
    view: impl Fn(CommentRow) -> T,
) -> Page<T> {
    let (rows, next_cursor) = pagination::finish_page(rows, limit, |last| {
        pagination::encode(list, sort.as_str(), sort.key_of(last), last.id)
    });
    Page {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }
}

/// The id of the live article `slug`, or the 404.
async fn article_id(
    conn: &mut diesel_async::AsyncPgConnection,
    slug: &str,
) -> Result<i64, CommentError> {
    Ok(find_live_id(conn, slug)
        .await
        .map_err(CommentError::at("finding the article"))?
        .ok_or_else(|| CommentError::ArticleNotFound(slug.to_owned()))?
        .id
        .get())
}

/// A tree page of `scope`, with the cursor of the next page.
async fn tree(
    conn: &mut diesel_async::AsyncPgConnection,
    scope: Scope,
    request: TreeRequest,
    list: &str,
    ctx: &ViewContext,
) -> Result<Page<CommentView>, CommentError> {
    let page = thread::tree_page(conn, scope, request.sort, request.shape, request.after, ctx)
        .await
        .map_err(CommentError::at("reading the tree page"))?;
    Ok(Page {
        next_cursor: page.next_after.as_ref().map(|row| {
            pagination::encode(
                list,
                request.sort.as_str(),
                request.sort.key_of(row),
                row.id,
            )
        }),
        items: page.items,
    })
}

/// One comment as `reader` may see it (a deleted one as its placeholder).
#[tracing::instrument(skip_all, fields(comment_id = id.get()))]
pub async fn comment(
    pool: &DbPool,
    id: CommentId,
    reader: Option<&AuthUser>,
    now: DateTime<Utc>,
) -> Result<CommentView, CommentError> {
    let mut conn = pool.get().await?;
    comment_on(&mut conn, id, reader, now).await
}

/// One comment as `reader` sees it, on a connection the caller holds (the write path answers
/// with the comment it wrote on its one connection).
pub async fn comment_on(
    conn: &mut diesel_async::AsyncPgConnection,
    id: CommentId,
    reader: Option<&AuthUser>,
    now: DateTime<Utc>,
) -> Result<CommentView, CommentError> {
    let row = reads::find_comment(conn, id, reader.map(|u| u.id))
        .await
        .map_err(CommentError::at("reading the comment"))?
        .ok_or(CommentError::NotFound(id))?;
    Ok(CommentView::from_row(row, &ViewContext::of(reader, now)))
}

/// A page of an article's thread: top-level comments with nested replies.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn article_thread(
    pool: &DbPool,
    slug: &str,
    query: &TreeQuery,
    reader: Option<&AuthUser>,
    now: DateTime<Utc>,
) -> Result<Page<CommentView>, CommentError> {
    let list = format!("tree:{slug}");
    let request = parse_tree_query(query, &list)?;
    let mut conn = pool.get().await?;
    let article_id = article_id(&mut conn, slug).await?;
    let ctx = ViewContext::of(reader, now);
    tree(&mut conn, Scope::Article(article_id), request, &list, &ctx).await
}

/// A page of one comment's replies, in the tree's shape.
#[tracing::instrument(skip_all, fields(comment_id = id.get()))]
pub async fn replies(
    pool: &DbPool,
    id: CommentId,
    query: &TreeQuery,
    reader: Option<&AuthUser>,
    now: DateTime<Utc>,
) -> Result<Page<CommentView>, CommentError> {
    let list = format!("replies:{id}");
    let request = parse_tree_query(query, &list)?;
    let mut conn = pool.get().await?;
    reads::find_comment(&mut conn, id, None)
        .await
        .map_err(CommentError::at("reading the comment replied to"))?
        .ok_or(CommentError::NotFound(id))?;
    let ctx = ViewContext::of(reader, now);
    tree(&mut conn, Scope::Replies(id.get()), request, &list, &ctx).await
}

/// A page of an article's comments as one flat list.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn article_flat(
    pool: &DbPool,
    slug: &str,
    query: &FlatQuery,
    reader: Option<&AuthUser>,
    now: DateTime<Utc>,
) -> Result<Page<CommentView>, CommentError> {
    let sort = query.sort.unwrap_or(Sort::New);
    let list = format!("flat:{slug}");
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        sort.as_str(),
    )
    .map_err(CommentError::from_validation)?;
    let after = keyset(sort, cursor)?;
    let mut conn = pool.get().await?;
    let article_id = article_id(&mut conn, slug).await?;
    let viewer = reader.map(|u| u.id);
    let rows = reads::flat_page(
        &mut conn,
        ArticleId(article_id),
        sort,
        limit + 1,
        after,
        viewer,
    )
    .await
    .map_err(CommentError::at("reading the flat page"))?;
    let ctx = ViewContext::of(reader, now);
    Ok(page_of(rows, limit, &list, sort, |row| {
        CommentView::from_row(row, &ctx)
    }))
}

/// A page of a user's comments, newest first, each with its article.
#[tracing::instrument(skip_all, fields(username = %username))]
pub async fn user_comments(
    pool: &DbPool,
    username: &str,
    query: &HistoryQuery,
    reader: Option<&AuthUser>,
    now: DateTime<Utc>,
) -> Result<Page<UserCommentView>, CommentError> {
    let list = format!("user:{}", username.to_lowercase());
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        "new",
    )
    .map_err(CommentError::from_validation)?;
    let after = keyset(Sort::New, cursor)?;
    let mut conn = pool.get().await?;
    let user = accounts::queries::find_by_username(&mut conn, username)
        .await
        .map_err(CommentError::at("finding the user"))?
        .ok_or_else(|| CommentError::UserNotFound(username.to_owned()))?;
    let viewer = reader.map(|u| u.id);
    let rows = reads::user_comments(&mut conn, UserId(user.id), limit + 1, after, viewer)
        .await
        .map_err(CommentError::at("reading the user's comments"))?;
    let ctx = ViewContext::of(reader, now);
    Ok(page_of(rows, limit, &list, Sort::New, |row| {
        let article = ArticleRef {
            slug: row.article_slug.clone(),
            title: row.article_title.clone(),
        };
        UserCommentView {
            comment: CommentView::from_row(row, &ctx),
            article,
        }
    }))
}

/// A comment's earlier versions, oldest first, for its author and moderators only.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), user_id = user.id.get()))]
pub async fn edit_history(
    pool: &DbPool,
    id: CommentId,
    user: &AuthUser,
) -> Result<CommentEdits, CommentError> {
    let mut conn = pool.get().await?;
    let comment = queries::find_for_write(&mut conn, id)
        .await
        .map_err(CommentError::at("reading the comment"))?
        .ok_or(CommentError::NotFound(id))?;
    if comment.author_id != user.id && !user.role.is_moderator() {
        return Err(CommentError::HistoryNotAllowed);
    }
    let items = queries::edits(&mut conn, id)
        .await
        .map_err(CommentError::at("reading the edit history"))?
        .into_iter()
        .map(|edit| CommentEdit {
            body: edit.body,
            claim: edit.claim,
            criteria: edit.criteria,
            resolves_at: edit.resolves_at,
            written_at: edit.written_at,
            replaced_at: edit.replaced_at,
        })
        .collect();
    Ok(CommentEdits { items })
}
