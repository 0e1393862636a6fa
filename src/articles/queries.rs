//! Article SQL. "Live" means not soft-deleted: every read filters `deleted_at IS NULL`.
//! Every statement is Diesel's DSL; rows are the named structs below.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::accounts::model::PublicUser;
use crate::articles::model::{Article, ArticleChanges, ArticleInput, ArticleRow, ArticleSummary};
use crate::db::schema::{articles, users};
use crate::ids::{ArticleId, UserId};

/// An article's author as the article shows them.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AuthorRow {
    /// Id.
    pub id: UserId,
    /// Username.
    pub username: String,
    /// Display name, if set.
    pub display_name: Option<String>,
}

impl From<AuthorRow> for PublicUser {
    fn from(author: AuthorRow) -> Self {
        Self {
            id: author.id.get(),
            username: author.username,
            display_name: author.display_name,
        }
    }
}

/// An article row with its author's public fields (one join, for reads and lists).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ArticleWithAuthor {
    /// The article.
    #[diesel(embed)]
    pub article: ArticleRow,
    /// Its author.
    #[diesel(embed)]
    pub author: AuthorRow,
}

impl From<ArticleWithAuthor> for Article {
    fn from(found: ArticleWithAuthor) -> Self {
        Self::new(found.article, found.author.into())
    }
}

impl From<ArticleWithAuthor> for ArticleSummary {
    fn from(found: ArticleWithAuthor) -> Self {
        Self::new(found.article, found.author.into())
    }
}

/// What writes under an article need of it: its id and lock state.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct LiveArticle {
    /// Id.
    pub id: ArticleId,
    /// Whether the thread is locked.
    pub locked: bool,
    /// Why it is locked.
    pub lock_reason: Option<String>,
}

/// The live article with this slug, with its author.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
pub async fn find_live(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<ArticleWithAuthor>> {
    articles::table
        .inner_join(users::table)
        .filter(articles::slug.eq(slug))
        .filter(articles::deleted_at.is_null())
        .select(ArticleWithAuthor::as_select())
        .first(conn)
        .await
        .optional()
}

/// Id and lock state of the live article with this slug (for writes under it).
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
pub async fn find_live_id(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<LiveArticle>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .filter(articles::deleted_at.is_null())
        .select(LiveArticle::as_select())
        .first(conn)
        .await
        .optional()
}

/// Newest first, optionally with a tag: `fetch` rows after the keyset (published_at, id).
#[tracing::instrument(level = "debug", skip_all, fields(tag = ?tag, fetch = fetch))]
pub async fn list(
    conn: &mut AsyncPgConnection,
    tag: Option<&str>,
    after: Option<(DateTime<Utc>, ArticleId)>,
    fetch: i64,
) -> QueryResult<Vec<ArticleWithAuthor>> {
    let mut query = articles::table
        .inner_join(users::table)
        .filter(articles::deleted_at.is_null())
        .select(ArticleWithAuthor::as_select())
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(fetch)
        .into_boxed();
    if let Some(tag) = tag {
        query = query.filter(articles::tags.contains(vec![tag.to_owned()]));
    }
    if let Some((published_at, id)) = after {
        query = query.filter(
            articles::published_at
                .lt(published_at)
                .or(articles::published_at
                    .eq(published_at)
                    .and(articles::id.lt(id))),
        );
    }
    query.load(conn).await
}

/// True when any article, deleted ones included, has this slug.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
pub async fn slug_taken(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        articles::table.filter(articles::slug.eq(slug)),
    ))
    .get_result(conn)
    .await
}

/// `base`, or `base-2`, `base-3`… whichever is free first.
#[tracing::instrument(level = "debug", skip_all, fields(base = %base))]
pub async fn free_slug(conn: &mut AsyncPgConnection, base: &str) -> QueryResult<String> {
    if !slug_taken(conn, base).await? {
        return Ok(base.to_owned());
    }
    let mut n: u64 = 2;
    loop {
        let candidate = format!("{base}-{n}");
        if !slug_taken(conn, &candidate).await? {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// Inserts an article with the slug already chosen.
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug, author_id = author_id.get()))]
pub async fn insert(
    conn: &mut AsyncPgConnection,
    input: &ArticleInput,
    slug: &str,
    author_id: UserId,
    now: DateTime<Utc>,
) -> QueryResult<ArticleRow> {
    diesel::insert_into(articles::table)
        .values((
            articles::slug.eq(slug),
            articles::title.eq(&input.title),
            articles::summary.eq(&input.summary),
            articles::body.eq(&input.body),
            articles::body_html.eq(&input.body_html),
            articles::tags.eq(&input.tags),
            articles::author_id.eq(author_id),
            articles::published_at.eq(input.published_at.unwrap_or(now)),
            articles::created_at.eq(now),
            articles::updated_at.eq(now),
        ))
        .returning(ArticleRow::as_returning())
        .get_result(conn)
        .await
}

/// Applies validated changes.
#[tracing::instrument(level = "debug", skip_all, fields(article_id = id.get()))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    changes: &ArticleChanges,
) -> QueryResult<ArticleRow> {
    diesel::update(articles::table.find(id))
        .set(changes)
        .returning(ArticleRow::as_returning())
        .get_result(conn)
        .await
}

/// Soft-deletes a live article (false when it was not live): it and its thread vanish from
/// reads; rows, votes and scores stay.
#[tracing::instrument(level = "debug", skip_all, fields(article_id = id.get()))]
pub async fn soft_delete(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        articles::table
            .find(id)
            .filter(articles::deleted_at.is_null()),
    )
    .set(articles::deleted_at.eq(now))
    .execute(conn)
    .await
    .map(|updated| updated == 1)
}

/// The public fields of a user (the author of an article just written).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = id.get()))]
pub async fn public_user(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<PublicUser> {
    users::table
        .find(id)
        .select(AuthorRow::as_select())
        .first(conn)
        .await
        .map(PublicUser::from)
}

/// Why an article's thread is locked.
#[tracing::instrument(level = "debug", skip_all, fields(article_id = id.get()))]
pub async fn lock_reason(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
) -> QueryResult<Option<String>> {
    articles::table
        .find(id)
        .select(articles::lock_reason)
        .first(conn)
        .await
}

/// The article that holds a slug, live or deleted.
#[derive(Debug, Clone, Queryable)]
pub struct SlugHolder {
    /// Its id.
    pub id: ArticleId,
    /// When it was deleted, if it was (a deleted article keeps its slug).
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The article holding `slug`, live or deleted, locked for an update (the import's upsert).
#[tracing::instrument(level = "debug", skip_all, fields(slug))]
pub async fn lock_by_slug(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<SlugHolder>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .select((articles::id, articles::deleted_at))
        .for_update()
        .first(conn)
        .await
        .optional()
}
