//! The statements of the background jobs: marking passed deadlines (`deadlines.sql`), finding
//! who resolves predictions, and retention.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Interval, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::{notifications, users};
use crate::ids::{ArticleId, CommentId, PredictionId, UserId};

/// A prediction whose deadline passed unresolved, just marked as announced.
#[derive(Debug, QueryableByName)]
pub struct PassedDeadline {
    /// The prediction.
    #[diesel(sql_type = BigInt)]
    pub id: PredictionId,
    /// Its article.
    #[diesel(sql_type = BigInt)]
    pub article_id: ArticleId,
    /// Its comment.
    #[diesel(sql_type = BigInt)]
    pub comment_id: CommentId,
    /// Who made it.
    #[diesel(sql_type = BigInt)]
    pub author_id: UserId,
    /// Whether its comment is visible in a live article (otherwise nobody is told).
    #[diesel(sql_type = Bool)]
    pub live: bool,
}

/// Marks the predictions whose deadline passed unresolved by `now` (see `deadlines.sql`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn take_passed_deadlines(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<Vec<PassedDeadline>> {
    cached(diesel::sql_query(include_str!("deadlines.sql")).bind::<Timestamptz, _>(now))
        .load(conn)
        .await
}

/// Every live moderator and admin: who resolves predictions.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolvers(conn: &mut AsyncPgConnection) -> QueryResult<Vec<UserId>> {
    users::table
        .filter(users::role.eq_any(["moderator", "admin"]))
        .filter(users::deleted_at.is_null())
        .order(users::id)
        .select(users::id)
        .load(conn)
        .await
}

/// Deletes the notifications created before `before`; returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_notifications_before(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(notifications::table.filter(notifications::created_at.lt(before)))
        .execute(conn)
        .await
}

/// How many rows a statement counted.
#[derive(Debug, QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Deletes the events older than `keep` (by the database's clock, which stamps them) and
/// moves `event_log_state.pruned_through` up to the highest id deleted, so a stream resuming
/// below it (it missed a deleted event) is told to reset. Returns how many were deleted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn prune_events(
    conn: &mut AsyncPgConnection,
    keep: std::time::Duration,
) -> QueryResult<i64> {
    let keep = diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(keep.as_micros()).unwrap_or(i64::MAX),
    );
    cached(
        diesel::sql_query(
            "WITH gone AS (DELETE FROM events WHERE created_at < now() - $1 RETURNING id), \
                  moved AS (UPDATE event_log_state \
                            SET pruned_through = GREATEST(pruned_through, \
                                                          (SELECT max(id) FROM gone)) \
                            WHERE EXISTS (SELECT 1 FROM gone) RETURNING 1) \
             SELECT count(*) AS count FROM gone",
        )
        .bind::<Interval, _>(keep),
    )
    .get_result::<Counted>(conn)
    .await
    .map(|c| c.count)
}

/// Deletes the stream tickets that expired before `now`; returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_expired_tickets(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    use crate::db::schema::stream_tickets;
    diesel::delete(stream_tickets::table.filter(stream_tickets::expires_at.lt(now)))
        .execute(conn)
        .await
}
