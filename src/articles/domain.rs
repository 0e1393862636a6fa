//! Rules of articles that need no database: slugs (checked or derived from the title), tags,
//! field lengths, and rendering the body; they turn the requests of `model` into validated
//! input for the service. The unit tests below pin them down.

use chrono::{DateTime, Utc};

use crate::articles::error::ArticleError;
use crate::articles::model::{
    ArticleChanges, ArticleInput, CreateArticleRequest, UpdateArticleRequest,
};
use crate::error::{ApiError, FieldError, FieldErrors};
use crate::text::{optional_text, required_text};

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

impl CreateArticleRequest {
    /// Validates every field at once.
    pub fn parse(self) -> Result<ArticleInput, ArticleError> {
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
        finish(errors)?;
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
            _ => Err(ArticleError::internal(anyhow::anyhow!(
                "validated fields missing"
            ))),
        }
    }
}

/// `Ok` when no field failed, else the 422 naming every failing field.
fn finish(errors: FieldErrors) -> Result<(), ArticleError> {
    match errors.finish() {
        Ok(()) => Ok(()),
        Err(ApiError::Validation(errors)) => Err(ArticleError::Invalid(errors)),
        Err(other) => Err(ArticleError::internal(anyhow::anyhow!("{other}"))),
    }
}

/// An article body rendered, or the 422 entry for one too costly to render.
fn article_html(body: &str) -> Result<String, FieldError> {
    super::markdown::render_article(body).map_err(|refusal| refusal.field_error("body"))
}

impl UpdateArticleRequest {
    /// Validates every given field at once.
    pub fn parse(self, now: DateTime<Utc>) -> Result<ArticleChanges, ArticleError> {
        let nothing = self.title.is_none()
            && self.slug.is_none()
            && self.summary.is_none()
            && self.body.is_none()
            && self.tags.is_none()
            && self.published_at.is_none();
        if nothing {
            return Err(ArticleError::Invalid(vec![FieldError::new(
                "body",
                "required",
                "give at least one field to change",
            )]));
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
        finish(errors)?;
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
