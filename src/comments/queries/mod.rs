//! Comment writes. Counters (reply_count, descendant_count, the article's comment_count)
//! change in the same transaction as the write, taking row locks in one order: the comment's
//! ancestors and itself in ascending id (`lock_chain`), then the article.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{articles, comment_edits, comments};

pub mod reads;

/// What a write needs to know about an existing comment.
#[derive(Debug, Clone, Queryable)]
pub struct CommentForWrite {
    /// Id.
    pub id: i64,
    /// Article.
    pub article_id: i64,
    /// Author.
    pub author_id: i64,
    /// visible, deleted or removed.
    pub state: String,
    /// Ancestor ids, root first.
    pub path: Vec<Option<i64>>,
    /// Current body.
    pub body: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last edit.
    pub edited_at: Option<DateTime<Utc>>,
    /// Whether the article's thread is locked.
    pub article_locked: bool,
}

impl CommentForWrite {
    /// The ancestors, root first.
    pub fn ancestors(&self) -> Vec<i64> {
        self.path.iter().flatten().copied().collect()
    }

    /// The ancestors and the comment itself: the rows a state change locks.
    pub fn chain(&self) -> Vec<i64> {
        let mut chain = self.ancestors();
        chain.push(self.id);
        chain
    }
}

/// A comment of a live article.
pub async fn find_for_write(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<Option<CommentForWrite>> {
    comments::table
        .inner_join(articles::table)
        .filter(comments::id.eq(id))
        .filter(articles::deleted_at.is_null())
        .select((
            comments::id,
            comments::article_id,
            comments::author_id,
            comments::state,
            comments::path,
            comments::body,
            comments::created_at,
            comments::edited_at,
            articles::locked,
        ))
        .first(conn)
        .await
        .optional()
}

#[derive(QueryableByName)]
struct LockedState {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    state: String,
}

/// Locks these comments in ascending id order (the documented lock order) and returns the
/// state of the last one in the list (read under the lock).
pub async fn lock_chain(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<Option<String>> {
    let rows: Vec<LockedState> = diesel::sql_query(
        "SELECT id, state FROM comments WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind::<Array<BigInt>, _>(ids)
    .load(conn)
    .await?;
    let last = ids.last().copied();
    Ok(rows
        .into_iter()
        .find(|r| Some(r.id) == last)
        .map(|r| r.state))
}

/// A new comment.
#[derive(Debug, Insertable)]
#[diesel(table_name = comments)]
pub struct NewComment<'a> {
    /// Article.
    pub article_id: i64,
    /// Parent, if a reply.
    pub parent_id: Option<i64>,
    /// Ancestors, root first.
    pub path: Vec<i64>,
    /// Length of `path`.
    pub depth: i32,
    /// Author.
    pub author_id: i64,
    /// Markdown (NFC).
    pub body: &'a str,
    /// Rendered HTML.
    pub body_html: &'a str,
    /// From the clock.
    pub created_at: DateTime<Utc>,
    /// The hot rank of a new comment (score 0, age 0); votes and the refresh move it.
    pub rank_hot: f64,
}

/// Inserts a comment and returns its id.
pub async fn insert(conn: &mut AsyncPgConnection, comment: NewComment<'_>) -> QueryResult<i64> {
    diesel::insert_into(comments::table)
        .values(comment)
        .returning(comments::id)
        .get_result(conn)
        .await
}

/// Adds `delta` live descendants to every ancestor and `delta` live replies to the parent.
pub async fn count_in_ancestors(
    conn: &mut AsyncPgConnection,
    ancestors: &[i64],
    delta: i32,
) -> QueryResult<()> {
    let Some(parent) = ancestors.last().copied() else {
        return Ok(());
    };
    diesel::sql_query(
        "UPDATE comments SET descendant_count = descendant_count + $2, \
         reply_count = reply_count + CASE WHEN id = $3 THEN $2 ELSE 0 END \
         WHERE id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(ancestors)
    .bind::<Integer, _>(delta)
    .bind::<BigInt, _>(parent)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Adds `delta` live comments to an article.
pub async fn count_in_article(
    conn: &mut AsyncPgConnection,
    article_id: i64,
    delta: i64,
) -> QueryResult<()> {
    count_in_locked_article(conn, article_id, delta)
        .await
        .map(|_| ())
}

/// Adds `delta` live comments and answers the article's lock state, read under the row lock
/// the update takes (so a comment cannot slip in after a thread lock commits).
pub async fn count_in_locked_article(
    conn: &mut AsyncPgConnection,
    article_id: i64,
    delta: i64,
) -> QueryResult<(bool, Option<String>)> {
    diesel::update(articles::table.find(article_id))
        .set(articles::comment_count.eq(articles::comment_count + delta))
        .returning((articles::locked, articles::lock_reason))
        .get_result(conn)
        .await
}

/// Erases a comment at its author's request: the state becomes `deleted` and its text and its
/// whole edit history are gone from the database, not only from responses (the author's
/// deletion outranks a moderator's removal). Counters are the caller's business: they differ
/// for a live and a removed comment.
pub async fn erase(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    diesel::delete(comment_edits::table.filter(comment_edits::comment_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::update(comments::table.find(id))
        .set((
            comments::state.eq("deleted"),
            comments::body.eq(""),
            comments::body_html.eq(""),
            comments::pinned_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// A prediction's terms: claim, criteria, deadline.
pub type Terms = (String, Option<String>, DateTime<Utc>);

/// Keeps the current text (and the prediction's current terms, if any) in the history, then
/// writes the new text.
pub async fn record_edit(
    conn: &mut AsyncPgConnection,
    comment: &CommentForWrite,
    previous_terms: Option<&Terms>,
    body: &str,
    body_html: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(comment_edits::table)
        .values((
            comment_edits::comment_id.eq(comment.id),
            comment_edits::article_id.eq(comment.article_id),
            comment_edits::body.eq(&comment.body),
            comment_edits::written_at.eq(comment.edited_at.unwrap_or(comment.created_at)),
            comment_edits::replaced_at.eq(now),
            comment_edits::claim.eq(previous_terms.map(|t| t.0.clone())),
            comment_edits::criteria.eq(previous_terms.and_then(|t| t.1.clone())),
            comment_edits::resolves_at.eq(previous_terms.map(|t| t.2)),
        ))
        .execute(conn)
        .await?;
    diesel::update(comments::table.find(comment.id))
        .set((
            comments::body.eq(body),
            comments::body_html.eq(body_html),
            comments::edited_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// One stored earlier version: body, written_at, replaced_at, claim, criteria, resolves_at.
pub type EditRow = (
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
);

/// The edit history of a comment, oldest first.
pub async fn edits(conn: &mut AsyncPgConnection, comment_id: i64) -> QueryResult<Vec<EditRow>> {
    comment_edits::table
        .filter(comment_edits::comment_id.eq(comment_id))
        .order(comment_edits::id.asc())
        .select((
            comment_edits::body,
            comment_edits::written_at,
            comment_edits::replaced_at,
            comment_edits::claim,
            comment_edits::criteria,
            comment_edits::resolves_at,
        ))
        .load(conn)
        .await
}
