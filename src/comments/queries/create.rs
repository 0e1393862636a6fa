//! Creating a comment without a prediction in one statement: one call of `r.create_comment`
//! (db/replaceable.sql), which does what `comments::write::create_comment` does in its
//! transaction (ban lock, parent chain, insert, counters, notifications, events) in one round
//! trip. Issue 19: a comment used to cost eight to twelve statements.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::ids::{CommentId, UserId};

/// What the statement needs: the checked and rendered comment.
#[derive(Debug, Clone, Copy)]
pub struct OneStatementComment<'a> {
    /// The article's slug.
    pub slug: &'a str,
    /// The replied-to comment.
    pub parent_id: Option<CommentId>,
    /// The author.
    pub author_id: UserId,
    /// Markdown as stored.
    pub body: &'a str,
    /// The sanitised HTML.
    pub body_html: &'a str,
    /// The service's clock.
    pub now: DateTime<Utc>,
    /// The first hot rank (`ranking::hot` of a new comment).
    pub rank_hot: f64,
    /// Users to tell of a mention: without the author, capped (`for_new_comment`'s rules).
    pub mentioned: &'a [UserId],
}

/// The statement's answer: an outcome code and what goes with it.
#[derive(Debug, QueryableByName)]
pub struct CreateRow {
    /// 'ok', 'article_not_found', 'parent_not_found', 'locked', 'banned', 'parent_not_live'.
    #[diesel(sql_type = Text)]
    pub outcome: String,
    /// The new comment's id ('ok').
    #[diesel(sql_type = Nullable<BigInt>)]
    pub comment_id: Option<i64>,
    /// The lock's or the ban's reason.
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    /// The ban's end ('banned').
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub banned_until: Option<DateTime<Utc>>,
}

/// Runs `r.create_comment`: the whole write, atomically, as one statement.
#[tracing::instrument(level = "debug", skip_all, fields(slug = comment.slug))]
pub async fn create_comment(
    conn: &mut AsyncPgConnection,
    comment: OneStatementComment<'_>,
) -> diesel::QueryResult<CreateRow> {
    let mentioned: Vec<i64> = comment.mentioned.iter().map(|u| u.get()).collect();
    cached(
        diesel::sql_query(
            "SELECT outcome, comment_id, reason, banned_until \
             FROM r.create_comment($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind::<Text, _>(comment.slug)
        .bind::<Nullable<BigInt>, _>(comment.parent_id.map(CommentId::get))
        .bind::<BigInt, _>(comment.author_id.get())
        .bind::<Text, _>(comment.body)
        .bind::<Text, _>(comment.body_html)
        .bind::<Timestamptz, _>(comment.now)
        .bind::<Double, _>(comment.rank_hot)
        .bind::<Array<BigInt>, _>(mentioned)
        .bind::<Integer, _>(crate::moderation::queries::bans::BAN_LOCK_CLASS),
    )
    .get_result(conn)
    .await
}
