//! Article rows and wire types: what is stored, what readers get, and what admins send
//! (validated into `ArticleInput` / `ArticleChanges` by `domain`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::PublicUser;
use crate::db::schema::articles;
use crate::ids::{ArticleId, UserId};

/// A row of `articles`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ArticleRow {
    /// Id.
    pub id: ArticleId,
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Optional summary.
    pub summary: Option<String>,
    /// Markdown body.
    pub body: String,
    /// Rendered, sanitised body.
    pub body_html: String,
    /// Tags (never NULL elements in practice).
    pub tags: Vec<Option<String>>,
    /// Author (an admin).
    pub author_id: UserId,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Live comments.
    pub comment_count: i64,
    /// Whether the thread is locked.
    pub locked: bool,
    /// Why it is locked.
    pub lock_reason: Option<String>,
    /// Soft-delete time.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// An article, as `GET /articles/{slug}` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Article {
    /// Id.
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary, if any.
    pub summary: Option<String>,
    /// Markdown body.
    pub body: String,
    /// The body rendered and sanitised, safe to embed.
    pub body_html: String,
    /// Tags.
    pub tags: Vec<String>,
    /// The author.
    pub author: PublicUser,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Live comments in the thread.
    pub comment_count: i64,
    /// Whether the thread takes no new comments.
    pub locked: bool,
    /// Why the thread is locked (public).
    pub lock_reason: Option<String>,
}

/// An article in a list: everything but the body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleSummary {
    /// Id.
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary, if any.
    pub summary: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The author.
    pub author: PublicUser,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Live comments in the thread.
    pub comment_count: i64,
    /// Whether the thread takes no new comments.
    pub locked: bool,
    /// Why the thread is locked.
    pub lock_reason: Option<String>,
}

fn tags_of(row: &ArticleRow) -> Vec<String> {
    row.tags.iter().flatten().cloned().collect()
}

impl Article {
    /// Joins a row with its author.
    pub fn new(row: ArticleRow, author: PublicUser) -> Self {
        Self {
            tags: tags_of(&row),
            id: row.id.get(),
            slug: row.slug,
            title: row.title,
            summary: row.summary,
            body: row.body,
            body_html: row.body_html,
            author,
            published_at: row.published_at,
            updated_at: row.updated_at,
            comment_count: row.comment_count,
            locked: row.locked,
            lock_reason: row.lock_reason,
        }
    }
}

impl ArticleSummary {
    /// Joins a row with its author.
    pub fn new(row: ArticleRow, author: PublicUser) -> Self {
        Self {
            tags: tags_of(&row),
            id: row.id.get(),
            slug: row.slug,
            title: row.title,
            summary: row.summary,
            author,
            published_at: row.published_at,
            updated_at: row.updated_at,
            comment_count: row.comment_count,
            locked: row.locked,
            lock_reason: row.lock_reason,
        }
    }
}

/// `POST /articles`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Seoul and Beijing after the summit", "summary": "What the state visit changed.", "body": "## The visit\n\nMarkdown text…", "tags": ["korea", "china"]}))]
pub struct CreateArticleRequest {
    /// 1–200 characters.
    pub title: String,
    /// 1–120 characters of `[a-z0-9-]`; derived from the title when absent.
    pub slug: Option<String>,
    /// At most 1,000 characters.
    pub summary: Option<String>,
    /// Markdown, at most 200,000 characters.
    pub body: String,
    /// At most 10 tags of 1–32 characters of `[a-z0-9-]`.
    pub tags: Option<Vec<String>>,
    /// Publication time (RFC 3339); now when absent.
    pub published_at: Option<DateTime<Utc>>,
}

/// A validated new article (see `CreateArticleRequest::parse` in `domain`).
#[derive(Debug)]
pub struct ArticleInput {
    /// Title.
    pub title: String,
    /// Slug given explicitly, if any.
    pub slug: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Markdown body.
    pub body: String,
    /// The body rendered (see `markdown::render_article`).
    pub body_html: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Publication time, if given.
    pub published_at: Option<DateTime<Utc>>,
}

/// Distinguishes an absent field from `null`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `PATCH /articles/{slug}`: absent fields stay; at least one field. `summary: null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateArticleRequest {
    /// 1–200 characters.
    pub title: Option<String>,
    /// A new slug (old links stop working).
    pub slug: Option<String>,
    /// At most 1,000 characters; null clears.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub summary: Option<Option<String>>,
    /// Markdown, at most 200,000 characters.
    pub body: Option<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
}

/// Validated changes to an article (see `UpdateArticleRequest::parse` in `domain`).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = articles)]
pub struct ArticleChanges {
    /// New title.
    pub title: Option<String>,
    /// New slug.
    pub slug: Option<String>,
    /// New summary (Some(None) clears).
    pub summary: Option<Option<String>>,
    /// New body.
    pub body: Option<String>,
    /// Its rendering.
    pub body_html: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Always set.
    pub updated_at: Option<DateTime<Utc>>,
}
