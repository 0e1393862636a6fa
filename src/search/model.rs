//! The wire types of search: the query parameters and the hits of each type.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::model::PublicUser;

/// Query of `GET /search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for, 1–200 characters, in web-search syntax: words (all must match),
    /// `"a phrase"`, `or`, `-excluded`.
    pub q: Option<String>,
    /// `comments` (default), `articles` or `predictions`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Only within this article (its slug).
    pub article: Option<String>,
    /// Only by this user (username, any case).
    pub author: Option<String>,
    /// Predictions only: `open` (not resolved yet) or `resolved`.
    pub status: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–50 (default 20).
    pub limit: Option<i64>,
}

/// The article a hit belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitArticle {
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
}

/// A matching comment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentHit {
    /// Comment id.
    pub id: i64,
    /// Its article.
    pub article: HitArticle,
    /// Its author.
    pub author: PublicUser,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The text around the matches: plain text, HTML-escaped, matches in `<mark>`; no other
    /// markup.
    pub snippet_html: String,
    /// Relevance (higher is better; comparable within one search only).
    pub rank: f64,
}

/// A matching article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleHit {
    /// Article id.
    pub id: i64,
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: Option<String>,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// The text around the matches (escaped, matches in `<mark>`).
    pub snippet_html: String,
    /// Relevance.
    pub rank: f64,
}

/// A matching prediction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PredictionHit {
    /// Prediction id.
    pub id: i64,
    /// The comment that carries it.
    pub comment_id: i64,
    /// Its article.
    pub article: HitArticle,
    /// Its author.
    pub author: PublicUser,
    /// The claim.
    pub claim: String,
    /// The deadline.
    pub resolves_at: DateTime<Utc>,
    /// `yes`, `no` or `void` once resolved; null while open.
    pub outcome: Option<String>,
    /// Forecasters so far.
    pub forecaster_count: i32,
    /// The community's median probability (null before any forecast).
    pub community_probability: Option<f64>,
    /// The claim with the matches in `<mark>` (escaped).
    pub snippet_html: String,
    /// Relevance.
    pub rank: f64,
}

/// One hit; `type` says which.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SearchHit {
    /// A comment.
    Comment(CommentHit),
    /// An article.
    Article(ArticleHit),
    /// A prediction.
    Prediction(PredictionHit),
}
