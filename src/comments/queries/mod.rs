//! Comment writes. Counters (reply_count, descendant_count, the article's comment_count)
//! change in the same transaction as the write, taking row locks in one order: the comment's
//! ancestors and itself in ascending id (`lock_chain`), then the article. Diesel DSL where it
//! expresses the statement, otherwise a `.sql` file beside this one; the thread reads are in
//! `reads`, the votes' statements in `votes`.

use crate::ids::{ArticleId, CommentId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::comments::state::CommentState;
use crate::db::schema::{articles, comment_edits, comments};

pub mod create;
pub mod overlay;
pub mod reads;
pub mod votes;

pub use crate::predictions::queries::Terms;

const LOCK_CHAIN: &str = include_str!("lock_chain.sql");
const COUNT_IN_ANCESTORS: &str = include_str!("count_in_ancestors.sql");

/// What a write needs to know about an existing comment: who wrote it where, its chain of
/// ancestors (the rows a write locks), the text the edit history keeps, the thread's lock.
#[derive(Debug, Clone, Queryable)]
pub struct CommentForWrite {
    /// Id.
    pub id: CommentId,
    /// Article.
    pub article_id: ArticleId,
    /// Author.
    pub author_id: crate::ids::UserId,
    /// Live, deleted or removed (as read without a lock: `lock_chain` reads it again).
    pub state: CommentState,
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
        chain.push(self.id.get());
        chain
    }
}

/// A comment of a live article, without locking (writes lock its chain next).
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = id.get()))]
pub async fn find_for_write(
    conn: &mut AsyncPgConnection,
    id: CommentId,
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

/// A comment's state read under its row lock.
#[derive(QueryableByName)]
struct LockedState {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    state: CommentState,
}

/// Locks these comments in ascending id order (the documented lock order) and returns the
/// state of the last one in the list (read under the lock), `None` if it does not exist.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = ids.last()))]
pub async fn lock_chain(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> QueryResult<Option<CommentState>> {
    let rows: Vec<LockedState> = diesel::sql_query(LOCK_CHAIN)
        .bind::<Array<BigInt>, _>(ids)
        .load(conn)
        .await?;
    let last = ids.last().copied();
    Ok(rows
        .into_iter()
        .find(|r| Some(r.id) == last)
        .map(|r| r.state))
}

/// A new comment, as the create transaction inserts it (`path` and `depth` filled in from the
/// parent under lock).
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
#[tracing::instrument(level = "debug", skip_all, fields(article_id = comment.article_id))]
pub async fn insert(
    conn: &mut AsyncPgConnection,
    comment: NewComment<'_>,
) -> QueryResult<CommentId> {
    diesel::insert_into(comments::table)
        .values(comment)
        .returning(comments::id)
        .get_result(conn)
        .await
}

/// Adds `delta` live descendants to every ancestor and `delta` live replies to the parent.
#[tracing::instrument(level = "debug", skip_all, fields(parent_id = ancestors.last(), delta))]
pub async fn count_in_ancestors(
    conn: &mut AsyncPgConnection,
    ancestors: &[i64],
    delta: i32,
) -> QueryResult<()> {
    let Some(parent) = ancestors.last().copied() else {
        return Ok(());
    };
    diesel::sql_query(COUNT_IN_ANCESTORS)
        .bind::<Array<BigInt>, _>(ancestors)
        .bind::<Integer, _>(delta)
        .bind::<BigInt, _>(parent)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Adds `delta` live comments to an article.
#[tracing::instrument(level = "debug", skip_all, fields(article_id, delta))]
pub async fn count_in_article(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    delta: i64,
) -> QueryResult<()> {
    count_in_locked_article(conn, article_id, delta)
        .await
        .map(|_| ())
}

/// An article's thread lock, as read under the row lock a counter update takes.
#[derive(Debug, Clone, Queryable)]
pub struct ThreadLock {
    /// Whether new comments are refused.
    pub locked: bool,
    /// The moderator's reason, shown to readers.
    pub reason: Option<String>,
}

/// Adds `delta` live comments and answers the article's lock state, read under the row lock
/// the update takes (so a comment cannot slip in after a thread lock commits).
#[tracing::instrument(level = "debug", skip_all, fields(article_id, delta))]
pub async fn count_in_locked_article(
    conn: &mut AsyncPgConnection,
    article_id: ArticleId,
    delta: i64,
) -> QueryResult<ThreadLock> {
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
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = id.get()))]
pub async fn erase(conn: &mut AsyncPgConnection, id: CommentId) -> QueryResult<()> {
    diesel::delete(comment_edits::table.filter(comment_edits::comment_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::update(comments::table.find(id))
        .set((
            comments::state.eq(CommentState::Deleted),
            comments::body.eq(""),
            comments::body_html.eq(""),
            comments::pinned_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Keeps the current text (and the prediction's current terms, if any) in the history, then
/// writes the new text.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment.id.get()))]
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
            comment_edits::claim.eq(previous_terms.map(|t| t.claim.as_str())),
            comment_edits::criteria.eq(previous_terms.and_then(|t| t.criteria.as_deref())),
            comment_edits::resolves_at.eq(previous_terms.map(|t| t.resolves_at)),
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

/// One stored earlier version of a comment: its text and, for a prediction, the terms it had,
/// with the time span the version was current.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = comment_edits)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct EditRow {
    /// The Markdown of that version.
    pub body: String,
    /// When that version was written.
    pub written_at: DateTime<Utc>,
    /// When an edit replaced it.
    pub replaced_at: DateTime<Utc>,
    /// The prediction's claim then, if the comment carries one.
    pub claim: Option<String>,
    /// The prediction's criteria then.
    pub criteria: Option<String>,
    /// The prediction's deadline then.
    pub resolves_at: Option<DateTime<Utc>>,
}

/// The edit history of a comment, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id))]
pub async fn edits(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
) -> QueryResult<Vec<EditRow>> {
    comment_edits::table
        .filter(comment_edits::comment_id.eq(comment_id))
        .order(comment_edits::id.asc())
        .select(EditRow::as_select())
        .load(conn)
        .await
}
