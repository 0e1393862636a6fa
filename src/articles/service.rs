//! Article operations, each the whole of what a handler asks: validate through `domain`, run
//! the statements of `queries`, shape the result. They return `ArticleError`.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::Value;

use crate::articles::domain::derive_slug;
use crate::articles::error::ArticleError;
use crate::articles::model::*;
use crate::articles::queries::{self, LiveArticle};
use crate::db::DbPool;
use crate::error::violated_constraint;
use crate::events::{Event, EventKind};
use crate::ids::{ArticleId, UserId};
use crate::pagination::{self, Cursor, Page};

/// How many derived slugs a create tries before giving up on concurrent creates.
const DERIVED_SLUG_ATTEMPTS: usize = 5;

/// One live article with its body.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn get(pool: &DbPool, slug: &str) -> Result<Article, ArticleError> {
    let mut conn = pool.get().await?;
    let found = queries::find_live(&mut conn, slug)
        .await
        .map_err(ArticleError::at("reading the article"))?
        .ok_or_else(|| ArticleError::NotFound(slug.to_owned()))?;
    Ok(found.into())
}

/// A page of live articles, newest first, optionally with a tag. `cursor` was decoded for
/// `list`; a key that is not a sane timestamp is a 422.
#[tracing::instrument(skip_all, fields(tag = ?tag, limit = limit))]
pub async fn list(
    pool: &DbPool,
    tag: Option<&str>,
    list: &str,
    limit: i64,
    cursor: Option<Cursor>,
) -> Result<Page<ArticleSummary>, ArticleError> {
    let after = cursor.map(|c| cursor_key(&c)).transpose()?;
    let mut conn = pool.get().await?;
    let rows = queries::list(&mut conn, tag, after, limit + 1)
        .await
        .map_err(ArticleError::at("listing articles"))?;
    let (rows, next_cursor) = pagination::finish_page(rows, limit, |last| {
        let key = Value::from(last.article.published_at.to_rfc3339());
        pagination::encode(list, "new", key, last.article.id.get())
    });
    let items = rows.into_iter().map(ArticleSummary::from).collect();
    Ok(Page { items, next_cursor })
}

/// The keyset of a list cursor: the publication time and id of the last article.
fn cursor_key(cursor: &Cursor) -> Result<(DateTime<Utc>, ArticleId), ArticleError> {
    pagination::cursor_time(&cursor.key)
        .map(|at| (at, ArticleId(cursor.id)))
        .ok_or(ArticleError::InvalidCursor)
}

/// Creates an article by `author_id`. The slug is derived from the title when not given
/// (with a numeric suffix if that one is taken); a slug given explicitly and taken is a 409.
#[tracing::instrument(skip_all, fields(author_id = author_id.get()))]
pub async fn create(
    pool: &DbPool,
    request: CreateArticleRequest,
    author_id: UserId,
    now: DateTime<Utc>,
) -> Result<Article, ArticleError> {
    let input = request.parse()?;
    let mut conn = pool.get().await?;
    let row = match &input.slug {
        Some(slug) => queries::insert(&mut conn, &input, slug, author_id, now)
            .await
            .map_err(slug_conflict("inserting the article"))?,
        None => insert_with_derived_slug(&mut conn, &input, author_id, now).await?,
    };
    let author = queries::public_user(&mut conn, author_id)
        .await
        .map_err(ArticleError::at("reading the author"))?;
    Ok(Article::new(row, author))
}

/// Inserts under the first free `<derived>`, `<derived>-2`… slug; when a concurrent create
/// takes the same one first, tries the next instead of answering a 409 for a slug the client
/// never chose.
async fn insert_with_derived_slug(
    conn: &mut AsyncPgConnection,
    input: &ArticleInput,
    author_id: UserId,
    now: DateTime<Utc>,
) -> Result<ArticleRow, ArticleError> {
    let base = derive_slug(&input.title);
    for _ in 0..DERIVED_SLUG_ATTEMPTS {
        let slug = queries::free_slug(conn, &base)
            .await
            .map_err(ArticleError::at("finding a free slug"))?;
        match queries::insert(conn, input, &slug, author_id, now).await {
            Err(e) if violated_constraint(&e) == Some("articles_slug_key") => continue,
            other => return other.map_err(ArticleError::at("inserting the article")),
        }
    }
    Err(ArticleError::NoFreeSlug)
}

/// Changes a live article; absent fields stay. A new slug that is taken is a 409.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn update(
    pool: &DbPool,
    slug: &str,
    request: UpdateArticleRequest,
    now: DateTime<Utc>,
) -> Result<Article, ArticleError> {
    let changes = request.parse(now)?;
    let mut conn = pool.get().await?;
    let article = find_live_id(&mut conn, slug).await?;
    // The edit and its version bump commit together, so no cached page outlives the edit.
    let row = conn
        .transaction(async |conn| {
            let row = queries::update(conn, article.id, &changes)
                .await
                .map_err(slug_conflict("updating the article"))?;
            crate::db::versions::bump(conn, &[article.id.get()], &[], false)
                .await
                .map_err(ArticleError::at("bumping the article's version"))?;
            Ok::<_, ArticleError>(row)
        })
        .await?;
    let author = queries::public_user(&mut conn, row.author_id)
        .await
        .map_err(ArticleError::at("reading the author"))?;
    Ok(Article::new(row, author))
}

/// Soft-deletes a live article: it and its thread vanish from every read, but comments,
/// votes and scores stay, so karma and track records do not change. Its open live streams
/// are told (`thread_deleted`, appended in the same transaction) and end: without it they
/// would stay open on a thread that answers 404 everywhere else.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn delete(pool: &DbPool, slug: &str, now: DateTime<Utc>) -> Result<(), ArticleError> {
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let article = find_live_id(conn, slug).await?;
        // Only a live article is deleted, so a concurrent delete is a 404, not a second event.
        if !queries::soft_delete(conn, article.id, now)
            .await
            .map_err(ArticleError::at("deleting the article"))?
        {
            return Err(ArticleError::NotFound(slug.to_owned()));
        }
        let event = Event::thread(EventKind::ThreadDeleted, article.id);
        crate::events::queries::append(conn, &[event])
            .await
            .map_err(ArticleError::at("appending the live event"))
    })
    .await
}

/// The live article with this slug, or the 404 naming it.
async fn find_live_id(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> Result<LiveArticle, ArticleError> {
    queries::find_live_id(conn, slug)
        .await
        .map_err(ArticleError::at("finding the article"))?
        .ok_or_else(|| ArticleError::NotFound(slug.to_owned()))
}

/// A unique violation of `articles_slug_key` is the 409 naming `slug`; any other failure is
/// the step's.
fn slug_conflict(step: &'static str) -> impl FnOnce(diesel::result::Error) -> ArticleError {
    move |error| match violated_constraint(&error) {
        Some("articles_slug_key") => ArticleError::SlugTaken,
        _ => ArticleError::at(step)(error),
    }
}
