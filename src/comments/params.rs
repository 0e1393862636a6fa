//! The query parameters of the comment lists (tree, flat, a user's history): wire types like
//! those in `model`, shared by the handlers that extract them and the service that checks them.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::comments::sort::Sort;

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
