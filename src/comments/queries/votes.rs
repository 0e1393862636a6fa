//! The statements of voting: one call of the `r.vote` SQL function per vote, and one batch of
//! the periodic hot-rank refresh. Both texts are `.sql` files beside this one, their prepared
//! statements cached per connection.

use crate::ids::{CommentId, UserId};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, SmallInt, Text, Timestamptz};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::comments::state::VoteOutcome;
use crate::db::cached;

const VOTE: &str = include_str!("vote.sql");
const REFRESH_HOT: &str = include_str!("refresh_hot.sql");

/// Most rows one refresh statement rewrites (the `LIMIT` in refresh_hot.sql): a batch this
/// small holds its row locks only briefly.
pub const REFRESH_BATCH: usize = 2000;

/// What `r.vote` answered: the outcome, and the comment's counters after the vote.
#[derive(Debug, QueryableByName)]
pub struct VoteRow {
    /// Whether the vote was stored, or why not.
    #[diesel(sql_type = Text)]
    pub outcome: VoteOutcome,
    /// Upvotes after the vote.
    #[diesel(sql_type = Integer)]
    pub upvotes: i32,
    /// Downvotes after the vote.
    #[diesel(sql_type = Integer)]
    pub downvotes: i32,
    /// Score after the vote.
    #[diesel(sql_type = Integer)]
    pub score: i32,
    /// The stored vote.
    #[diesel(sql_type = SmallInt)]
    pub my_vote: i16,
}

/// One vote, in one round trip: `r.vote` locks the comment row, so votes on a comment are
/// serialised and its counters, ranks and the author's karma move together.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id, user_id, value))]
pub async fn vote(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
    user_id: UserId,
    value: i16,
    now: DateTime<Utc>,
) -> QueryResult<VoteRow> {
    cached(
        diesel::sql_query(VOTE)
            .bind::<BigInt, _>(comment_id)
            .bind::<BigInt, _>(user_id)
            .bind::<SmallInt, _>(value)
            .bind::<Timestamptz, _>(now),
    )
    .get_result(conn)
    .await
}

/// One batch of the hot-rank refresh; answers how many rows it rewrote (fewer than
/// [`REFRESH_BATCH`] means the refresh is done).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn refresh_hot_batch(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let row: Refreshed = cached(diesel::sql_query(REFRESH_HOT).bind::<Timestamptz, _>(now))
        .get_result(conn)
        .await?;
    Ok(usize::try_from(row.updated).unwrap_or(0))
}

/// What one refresh batch rewrote.
#[derive(diesel::QueryableByName)]
struct Refreshed {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    updated: i64,
}
