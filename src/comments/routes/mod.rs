//! Comment handlers, HTTP only: reading in `reading`, writing in `writing`; here the query
//! shapes and helpers both share.

pub mod reading;
pub mod writing;

use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::comments::model::*;
use crate::comments::queries::reads;
use crate::comments::sort::Sort;
use crate::comments::thread::{After, TreeShape};
use crate::error::{ApiError, FieldErrors};
use crate::pagination::first_field;
use crate::pagination::{self, Cursor, Page};
use crate::startup::AppState;

/// Registers every comment route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(writing::create_comment)
        .service(reading::article_thread)
        .service(reading::article_flat)
        .service(reading::get_comment)
        .service(reading::comment_replies)
        .service(writing::update_comment)
        .service(writing::delete_comment)
        .service(reading::comment_edits)
        .service(reading::user_comments)
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
    let row = reads::find_comment(&mut conn, id, reader.map(|u| u.id))
        .await?
        .ok_or_else(|| comment_not_found(id))?;
    Ok(CommentView::from_row(
        row,
        &ViewContext::of(reader, state.clock.now()),
    ))
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
