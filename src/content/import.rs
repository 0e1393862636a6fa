//! `hindsight import-article FILE.md`: YAML front matter between `---` lines (title, slug,
//! summary, tags, published_at), then the Markdown body. Creates the article, or updates the one
//! with that slug, so re-importing an edited file is safe.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;

use crate::articles::domain::derive_slug;
use crate::articles::error::ArticleError;
use crate::articles::model::{ArticleChanges, ArticleInput, CreateArticleRequest};
use crate::articles::queries as articles;
use crate::ids::UserId;

/// The account imported articles are credited to when no `--author` is given. The dash makes
/// it a name no person can register.
pub const NEWSROOM: &str = "hindsight-newsroom";

/// The front matter of an article file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// Required.
    pub title: String,
    /// Derived from the title when absent.
    pub slug: Option<String>,
    /// Optional.
    pub summary: Option<String>,
    /// Optional.
    pub tags: Option<Vec<String>>,
    /// RFC 3339; now when absent.
    pub published_at: Option<DateTime<Utc>>,
}

/// Splits a file into front matter and body, naming the field at fault on failure.
pub fn parse_article_file(text: &str) -> anyhow::Result<(FrontMatter, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or_else(|| anyhow::anyhow!("front matter: the file must start with a `---` line"))?;
    let end = rest
        .find("\n---")
        .ok_or_else(|| anyhow::anyhow!("front matter: no closing `---` line"))?;
    let yaml = &rest[..=end];
    let body = rest[end + 4..]
        .trim_start_matches(['-'])
        .trim_start_matches(['\r', '\n'])
        .to_owned();
    let front: FrontMatter = serde_path_to_error::deserialize(yaml_serde::Deserializer::from_str(
        yaml,
    ))
    .map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "front matter".to_owned()
        } else {
            format!("field `{path}`")
        };
        anyhow::anyhow!("front matter {field}: {}", e.into_inner())
    })?;
    Ok((front, body))
}

/// Validates front matter and body with the API's rules; errors name the field.
pub fn validate(front: FrontMatter, body: String) -> anyhow::Result<ArticleInput> {
    let request = CreateArticleRequest {
        title: front.title,
        slug: front.slug,
        summary: front.summary,
        body,
        tags: front.tags,
        published_at: front.published_at,
    };
    request.parse().map_err(|e| match e {
        ArticleError::Invalid(errors) => {
            let described: Vec<String> = errors
                .iter()
                .map(|f| format!("field `{}`: {} ({})", f.field, f.message, f.code))
                .collect();
            anyhow::anyhow!("front matter {}", described.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    })
}

/// The id of `--author`, or of the newsroom account (created on first use, without a password
/// so nobody can log in as it).
pub async fn author_id(
    conn: &mut AsyncPgConnection,
    author: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let name = author.unwrap_or(NEWSROOM);
    if let Some(user) = crate::accounts::queries::find_by_username(conn, name).await? {
        return Ok(user.id);
    }
    anyhow::ensure!(author.is_none(), "no user named {name}");
    let id = crate::accounts::queries::insert_without_login(
        conn,
        NEWSROOM,
        "Publishes articles imported from Markdown files.",
        now,
    )
    .await?;
    Ok(id.get())
}

/// Creates or updates the article; returns its slug.
pub async fn upsert_article(
    conn: &mut AsyncPgConnection,
    input: ArticleInput,
    author_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let slug = input
        .slug
        .clone()
        .unwrap_or_else(|| derive_slug(&input.title));
    conn.transaction(async |conn| {
        let existing = articles::lock_by_slug(conn, &slug).await?;
        match existing.map(|held| (held.id, held.deleted_at)) {
            Some((_, Some(_))) => anyhow::bail!("article {slug} was deleted; choose another slug"),
            Some((id, None)) => {
                let changes = ArticleChanges {
                    title: Some(input.title.clone()),
                    slug: None,
                    summary: Some(input.summary.clone()),
                    body_html: Some(input.body_html.clone()),
                    body: Some(input.body.clone()),
                    tags: Some(input.tags.clone()),
                    published_at: input.published_at,
                    updated_at: Some(now),
                };
                articles::update(conn, id, &changes).await?;
                // Cached pages of the article are keyed by its version (`http/caching`).
                crate::db::versions::bump(conn, &[id.get()], &[], false).await?;
            }
            None => {
                articles::insert(conn, &input, &slug, UserId(author_id), now).await?;
            }
        }
        Ok(slug)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_body_are_split() {
        let (front, body) = parse_article_file(
            "---\ntitle: Trade after the summit\ntags: [korea, trade]\npublished_at: 2026-01-05T08:00:00Z\n---\n\n# Heading\n\nText.\n",
        )
        .expect("valid");
        assert_eq!(front.title, "Trade after the summit");
        assert_eq!(front.tags, Some(vec!["korea".into(), "trade".into()]));
        assert!(front.published_at.is_some());
        assert_eq!(body, "# Heading\n\nText.\n");
    }

    #[test]
    fn bad_front_matter_names_the_field() {
        let err = parse_article_file("---\ntitle: T\npublished_at: yesterday\n---\nBody")
            .expect_err("bad date");
        assert!(err.to_string().contains("published_at"), "{err}");
        let err = parse_article_file("---\ntitel: T\n---\nBody").expect_err("unknown key");
        assert!(err.to_string().contains("titel"), "{err}");
        let err = parse_article_file("---\nsummary: S\n---\nBody").expect_err("no title");
        assert!(err.to_string().contains("title"), "{err}");
        assert!(parse_article_file("no front matter").is_err());
    }
}
