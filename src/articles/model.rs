//! Article rows, validation and wire types.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::PublicUser;
use crate::db::schema::articles;
use crate::error::{FieldError, FieldErrors};
use crate::text::{optional_text, required_text};

/// A row of `articles`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ArticleRow {
    /// Id.
    pub id: i64,
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
    pub author_id: i64,
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
            id: row.id,
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
            id: row.id,
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

/// Maximum characters of a title.
pub const TITLE_MAX: usize = 200;
/// Maximum characters of a summary.
pub const SUMMARY_MAX: usize = 1_000;
/// Maximum characters of an article body.
pub const BODY_MAX: usize = 200_000;

/// Checks a slug: 1–120 characters of `[a-z0-9-]`.
pub fn parse_slug(raw: &str, field: &str) -> Result<String, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new(field, "required", "a slug is required"));
    }
    if raw.chars().count() > 120 {
        return Err(FieldError::new(field, "too_long", "at most 120 characters"));
    }
    if !raw
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(FieldError::new(
            field,
            "invalid_format",
            "only a–z, 0–9 and -",
        ));
    }
    Ok(raw.to_owned())
}

/// Derives a slug from a title: ASCII letters and digits, lowercased, other runs become `-`.
/// Titles without any (e.g. only Hangul) give `article`; callers add a suffix when taken.
pub fn derive_slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(110).collect();
    slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "article".to_owned()
    } else {
        slug
    }
}

/// Checks tags: at most 10, each 1–32 of `[a-z0-9-]`; duplicates are dropped.
pub fn parse_tags(raw: &[String], field: &str) -> Result<Vec<String>, FieldError> {
    if raw.len() > 10 {
        return Err(FieldError::new(field, "too_many", "at most 10 tags"));
    }
    let mut tags: Vec<String> = Vec::new();
    for (i, tag) in raw.iter().enumerate() {
        let ok = (1..=32).contains(&tag.chars().count())
            && tag
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(FieldError::new(
                format!("{field}.{i}"),
                "invalid_format",
                "a tag is 1–32 characters of a–z, 0–9 and -",
            ));
        }
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    Ok(tags)
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

/// A validated new article.
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

impl CreateArticleRequest {
    /// Validates every field at once.
    pub fn parse(self) -> Result<ArticleInput, crate::error::ApiError> {
        let mut errors = FieldErrors::new();
        let title = errors.check(required_text(&self.title, "title", 1, TITLE_MAX, true));
        let slug = self
            .slug
            .map(|s| errors.check(parse_slug(&s, "slug")))
            .unwrap_or(None);
        let summary = errors
            .check(optional_text(self.summary, "summary", SUMMARY_MAX))
            .flatten();
        let body = errors.check(required_text(&self.body, "body", 1, BODY_MAX, false));
        let body_html = body.as_deref().and_then(|b| errors.check(article_html(b)));
        let tags = errors.check(parse_tags(&self.tags.unwrap_or_default(), "tags"));
        errors.finish()?;
        match (title, body, body_html, tags) {
            (Some(title), Some(body), Some(body_html), Some(tags)) => Ok(ArticleInput {
                title,
                slug,
                summary,
                body,
                body_html,
                tags,
                published_at: self.published_at,
            }),
            _ => Err(crate::error::ApiError::internal(anyhow::anyhow!(
                "validated fields missing"
            ))),
        }
    }
}

/// An article body rendered, or the 422 entry for one too costly to render.
fn article_html(body: &str) -> Result<String, FieldError> {
    super::markdown::render_article(body).map_err(|refusal| refusal.field_error("body"))
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

/// Validated changes to an article.
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

impl UpdateArticleRequest {
    /// Validates every given field at once.
    pub fn parse(self, now: DateTime<Utc>) -> Result<ArticleChanges, crate::error::ApiError> {
        let nothing = self.title.is_none()
            && self.slug.is_none()
            && self.summary.is_none()
            && self.body.is_none()
            && self.tags.is_none()
            && self.published_at.is_none();
        if nothing {
            return Err(crate::error::ApiError::invalid(
                "body",
                "required",
                "give at least one field to change",
            ));
        }
        let mut errors = FieldErrors::new();
        let title = self
            .title
            .and_then(|t| errors.check(required_text(&t, "title", 1, TITLE_MAX, true)));
        let slug = self.slug.and_then(|s| errors.check(parse_slug(&s, "slug")));
        let summary = self
            .summary
            .and_then(|s| errors.check(optional_text(s, "summary", SUMMARY_MAX)));
        let body = self
            .body
            .and_then(|b| errors.check(required_text(&b, "body", 1, BODY_MAX, false)));
        let body_html = body.as_deref().and_then(|b| errors.check(article_html(b)));
        let tags = self.tags.and_then(|t| errors.check(parse_tags(&t, "tags")));
        errors.finish()?;
        Ok(ArticleChanges {
            title,
            slug,
            summary,
            body_html,
            body,
            tags,
            published_at: self.published_at,
            updated_at: Some(now),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_derived_from_titles() {
        assert_eq!(
            derive_slug("Xi–Lee Summit: What Now?"),
            "xi-lee-summit-what-now"
        );
        assert_eq!(derive_slug("  --Hello  World-- "), "hello-world");
        assert_eq!(derive_slug("한국과 중국"), "article");
        assert!(derive_slug(&"word ".repeat(100)).len() <= 110);
    }

    #[test]
    fn slugs_and_tags_have_an_alphabet() {
        assert!(parse_slug("china-korea-2026", "slug").is_ok());
        assert!(parse_slug("Upper", "slug").is_err());
        assert!(parse_slug(&"a".repeat(121), "slug").is_err());
        assert_eq!(
            parse_tags(&["korea".into(), "korea".into(), "trade".into()], "tags").expect("ok"),
            vec!["korea", "trade"]
        );
        assert_eq!(
            parse_tags(&["Bad Tag".into()], "tags")
                .expect_err("bad")
                .field,
            "tags.0"
        );
        assert!(parse_tags(&vec!["t".to_owned(); 11], "tags").is_err());
    }
}
