//! Voting: `PUT /comments/{id}/vote`. The work is one call of the `r.vote` SQL function
//! (src/db/replaceable.sql, called in `queries::votes`): it locks the comment row, so every
//! vote on a comment is serialised and the counters, ranks and the author's karma always equal
//! what `comment_votes` says, in one round trip. The design cannot deadlock (one comment row,
//! then one user row); serialisation failures and deadlocks are still retried here, so none
//! ever reaches a client. Also the periodic hot-rank refresh.

use crate::ids::{CommentId, UserId};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::comments::domain;
use crate::comments::error::CommentError;
use crate::comments::model::VoteResult;
use crate::comments::queries::votes::{self as queries, REFRESH_BATCH};
use crate::db::DbPool;

pub use crate::comments::queries::votes::VoteRow;
pub use crate::comments::state::VoteOutcome;

/// Whether a failed vote may simply be run again: PostgreSQL aborted it to keep transactions
/// serialisable, or to break a deadlock.
fn is_retryable(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::SerializationFailure,
            _
        )
    ) || error.to_string().contains("deadlock detected")
}

/// Records one vote (retrying serialisation failures and deadlocks, which the design should
/// never produce). Also used by the demo seeder, which wants the raw row.
#[tracing::instrument(skip_all, fields(comment_id, user_id, value))]
pub async fn cast_vote(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
    user_id: UserId,
    value: i16,
    now: DateTime<Utc>,
) -> diesel::QueryResult<VoteRow> {
    let mut attempt = 0;
    loop {
        match queries::vote(conn, comment_id, user_id, value, now).await {
            Err(e) if attempt < 5 && is_retryable(&e) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
            }
            other => return other,
        }
    }
}

/// A user's vote on a comment (1 up, -1 down, 0 clears; the same value twice changes
/// nothing): the comment's counters after it, or why it was refused.
#[tracing::instrument(skip_all, fields(comment_id, user_id))]
pub async fn vote(
    pool: &DbPool,
    user_id: UserId,
    comment_id: CommentId,
    value: i64,
    now: DateTime<Utc>,
) -> Result<VoteResult, CommentError> {
    let value = domain::vote_value(value)?;
    let mut conn = pool.get().await?;
    let row = cast_vote(&mut conn, comment_id, user_id, value, now)
        .await
        .map_err(CommentError::at("casting the vote"))?;
    match row.outcome {
        VoteOutcome::Ok => Ok(VoteResult {
            comment_id: comment_id.get(),
            upvotes: row.upvotes,
            downvotes: row.downvotes,
            score: row.score,
            my_vote: row.my_vote,
        }),
        VoteOutcome::Own => Err(CommentError::OwnComment),
        VoteOutcome::NotLive => Err(CommentError::NotLive),
        VoteOutcome::NotFound => Err(CommentError::NotFound(comment_id)),
    }
}

/// Recomputes the hot rank of comments younger than seven days (older ones keep their last
/// value); the server runs it every minute. Only ranks that moved by more than 0.5 % are
/// written, in batches of 2,000 rows so that no statement holds locks for long: after the
/// first hour a comment's rank changes by less than that per minute, so a busy week of
/// comments costs mostly a scan of the recent-comments index, not a rewrite of every row.
#[tracing::instrument(skip_all)]
pub async fn refresh_hot(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    let mut total = 0;
    loop {
        let updated = queries::refresh_hot_batch(conn, now).await?;
        total += updated;
        if updated < REFRESH_BATCH {
            return Ok(total);
        }
    }
}
