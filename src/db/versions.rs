//! Caching versions (issue 19, `http/caching`). The one indexed lookup a cached read makes: the versions (`resource_versions`, bumped by
//! every write in its own transaction, see `db/replaceable.sql`'s `r.bump_versions`) of what a
//! response shows, as one text. A resource that does not exist yields `None` and the handler
//! runs uncached (it answers its own 404).

use diesel::sql_types::{BigInt, Text};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::ids::UserId;

/// What a response shows, so which versions its ETag is made of.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    /// A live article by slug: its page, thread and predictions (article + people).
    Article(&'a str),
    /// One comment: the article it belongs to (article + people).
    Comment(i64),
    /// One prediction: the article of its comment (article + people).
    Prediction(i64),
    /// A user by username, any case: profile, track record, calibration (user + people).
    User(&'a str),
    /// The signed-in account itself (`GET /me`: user + people).
    Me(UserId),
    /// Leaderboards: every score and name (people).
    People,
    /// Lists across articles (`GET /predictions`): every write that appends events, and people.
    Everything,
}

/// The version text of a lookup. It names the resource (`c7.a2.…` is comment 7 of article 2),
/// because tags hash the route pattern, not the path.
#[derive(QueryableByName)]
struct Tag {
    #[diesel(sql_type = Text)]
    tag: String,
}

/// `coalesce(version, 0)` of (kind, id) as text, for the fixed statements below.
macro_rules! version {
    ($kind:literal, $id:literal) => {
        concat!(
            "coalesce((SELECT version FROM resource_versions WHERE kind = ",
            $kind,
            " AND id = ",
            $id,
            "), 0)::text"
        )
    };
}

const ARTICLE: &str = concat!(
    "SELECT 'a' || a.id || '.' || ",
    version!(1, "a.id"),
    " || '.' || ",
    version!(3, 0),
    " AS tag FROM articles a WHERE a.slug = $1 AND a.deleted_at IS NULL"
);

const COMMENT: &str = concat!(
    "SELECT 'c' || c.id || '.a' || c.article_id || '.' || ",
    version!(1, "c.article_id"),
    " || '.' || ",
    version!(3, 0),
    " AS tag FROM comments c WHERE c.id = $1"
);

const PREDICTION: &str = concat!(
    "SELECT 'p' || p.id || '.a' || c.article_id || '.' || ",
    version!(1, "c.article_id"),
    " || '.' || ",
    version!(3, 0),
    " AS tag FROM predictions p JOIN comments c ON c.id = p.comment_id WHERE p.id = $1"
);

const USER: &str = concat!(
    "SELECT 'u' || u.id || '.' || ",
    version!(2, "u.id"),
    " || '.' || ",
    version!(3, 0),
    " AS tag FROM users u WHERE lower(u.username) = lower($1)"
);

const ME: &str = concat!(
    "SELECT 'u' || u.id || '.' || ",
    version!(2, "u.id"),
    " || '.' || ",
    version!(3, 0),
    " AS tag FROM users u WHERE u.id = $1"
);

const PEOPLE: &str = concat!("SELECT 'g' || ", version!(3, 0), " AS tag");

const EVERYTHING: &str = concat!(
    "SELECT 'l' || ",
    version!(4, 0),
    " || '.' || ",
    version!(3, 0),
    " AS tag"
);

/// The current version text of `resource`, or `None` when it does not exist.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lookup(
    conn: &mut AsyncPgConnection,
    resource: Resource<'_>,
) -> diesel::QueryResult<Option<String>> {
    let row: Option<Tag> = match resource {
        Resource::Article(slug) => {
            cached(diesel::sql_query(ARTICLE).bind::<Text, _>(slug))
                .get_result(conn)
                .await
        }
        Resource::Comment(id) => {
            cached(diesel::sql_query(COMMENT).bind::<BigInt, _>(id))
                .get_result(conn)
                .await
        }
        Resource::Prediction(id) => {
            cached(diesel::sql_query(PREDICTION).bind::<BigInt, _>(id))
                .get_result(conn)
                .await
        }
        Resource::User(name) => {
            cached(diesel::sql_query(USER).bind::<Text, _>(name))
                .get_result(conn)
                .await
        }
        Resource::Me(id) => {
            cached(diesel::sql_query(ME).bind::<BigInt, _>(id.get()))
                .get_result(conn)
                .await
        }
        Resource::People => cached(diesel::sql_query(PEOPLE)).get_result(conn).await,
        Resource::Everything => cached(diesel::sql_query(EVERYTHING)).get_result(conn).await,
    }
    .optional()?;
    Ok(row.map(|r| r.tag))
}

/// Bumps the versions of articles, users and (with `people`) of what every page shows of
/// people, in the caller's transaction, as its last statement: for writes that append no event
/// (an article edit, a profile edit, a role change). Writes that append events are bumped by
/// `r.append_events` itself.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn bump(
    conn: &mut AsyncPgConnection,
    articles: &[i64],
    users: &[i64],
    people: bool,
) -> diesel::QueryResult<()> {
    let mut kinds: Vec<i16> = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    for &a in articles {
        kinds.push(1);
        ids.push(a);
    }
    for &u in users {
        kinds.push(2);
        ids.push(u);
    }
    if people {
        kinds.push(3);
        ids.push(0);
    }
    cached(
        diesel::sql_query("SELECT r.bump_versions($1, $2)")
            .bind::<diesel::sql_types::Array<diesel::sql_types::SmallInt>, _>(kinds)
            .bind::<diesel::sql_types::Array<BigInt>, _>(ids),
    )
    .execute(conn)
    .await
    .map(|_| ())
}
