//! Article queries. "Live" means not soft-deleted: every read goes through `live()`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::accounts::model::PublicUser;
use crate::articles::model::{ArticleChanges, ArticleInput, ArticleRow};
use crate::db::schema::{articles, users};

/// An article row with its author's public fields.
pub type ArticleWithAuthor = (ArticleRow, (i64, String, Option<String>));

/// The author tuple as a wire type.
pub fn author_of(author: (i64, String, Option<String>)) -> PublicUser {
    PublicUser {
        id: author.0,
        username: author.1,
        display_name: author.2,
    }
}

/// The live article with this slug, with its author.
pub async fn find_live(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<ArticleWithAuthor>> {
    articles::table
        .inner_join(users::table)
        .filter(articles::slug.eq(slug))
        .filter(articles::deleted_at.is_null())
        .select((
            ArticleRow::as_select(),
            (users::id, users::username, users::display_name),
        ))
        .first(conn)
        .await
        .optional()
}

/// Id and lock state of the live article with this slug (for writes under it).
pub async fn find_live_id(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<(i64, bool, Option<String>)>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .filter(articles::deleted_at.is_null())
        .select((articles::id, articles::locked, articles::lock_reason))
        .first(conn)
        .await
        .optional()
}

/// Newest first, optionally with a tag, after a keyset position.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tag: Option<&str>,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> QueryResult<Vec<ArticleWithAuthor>> {
    let mut query = articles::table
        .inner_join(users::table)
        .filter(articles::deleted_at.is_null())
        .select((
            ArticleRow::as_select(),
            (users::id, users::username, users::display_name),
        ))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
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
pub async fn slug_taken(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        articles::table.filter(articles::slug.eq(slug)),
    ))
    .get_result(conn)
    .await
}

/// `base`, or `base-2`, `base-3`… whichever is free first.
pub async fn free_slug(conn: &mut AsyncPgConnection, base: &str) -> QueryResult<String> {
    if !slug_taken(conn, base).await? {
        return Ok(base.to_owned());
    }
    for n in 2.. {
        let candidate = format!("{base}-{n}");
        if !slug_taken(conn, &candidate).await? {
            return Ok(candidate);
        }
    }
    unreachable!("the loop above only ends by returning")
}

/// Inserts an article with the slug already chosen.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    input: &ArticleInput,
    slug: &str,
    author_id: i64,
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
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: i64,
    changes: &ArticleChanges,
) -> QueryResult<ArticleRow> {
    diesel::update(articles::table.find(id))
        .set(changes)
        .returning(ArticleRow::as_returning())
        .get_result(conn)
        .await
}

/// Soft-deletes: the article and its thread vanish from reads; rows, votes and scores stay.
pub async fn soft_delete(
    conn: &mut AsyncPgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set(articles::deleted_at.eq(now))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The public fields of a user.
pub async fn public_user(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<PublicUser> {
    users::table
        .find(id)
        .select((users::id, users::username, users::display_name))
        .first::<(i64, String, Option<String>)>(conn)
        .await
        .map(author_of)
}

/// Why an article's thread is locked.
pub async fn lock_reason(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<String>> {
    articles::table
        .find(id)
        .select(articles::lock_reason)
        .first(conn)
        .await
}
