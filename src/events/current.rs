//! The current state rendering reads, one statement per kind of thing for a whole batch of
//! events: comment counters and pins, predictions' crowds and resolutions, threads' locks,
//! readers' unread counts. (Whole comments are read through comments' own `rows_by_ids`.)
//! Things of a deleted article are left out, as every other read leaves them out: an event
//! about them is not rendered, and their streams were ended by `thread_deleted`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;

/// A comment's counters and pin.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommentCounts {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Upvotes.
    #[diesel(sql_type = Integer)]
    pub upvotes: i32,
    /// Downvotes.
    #[diesel(sql_type = Integer)]
    pub downvotes: i32,
    /// Score.
    #[diesel(sql_type = Integer)]
    pub score: i32,
    /// Whether it is pinned.
    #[diesel(sql_type = Bool)]
    pub pinned: bool,
}

/// Counters and pins of these comments, by id.
pub async fn comment_counts(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> diesel::QueryResult<HashMap<i64, CommentCounts>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<CommentCounts> = cached(
        diesel::sql_query(
            "SELECT c.id, c.upvotes, c.downvotes, c.score, c.pinned_at IS NOT NULL AS pinned \
             FROM comments c JOIN articles a ON a.id = c.article_id \
             WHERE c.id = ANY($1) AND a.deleted_at IS NULL",
        )
        .bind::<Array<BigInt>, _>(ids),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// A prediction's crowd and resolution.
#[derive(Debug, Clone, QueryableByName)]
pub struct PredictionState {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Its comment.
    #[diesel(sql_type = BigInt)]
    pub comment_id: i64,
    /// People with a current forecast.
    #[diesel(sql_type = Integer)]
    pub forecaster_count: i32,
    /// Median of current forecasts.
    #[diesel(sql_type = Nullable<Double>)]
    pub community_probability: Option<f64>,
    /// yes, no or void.
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
    /// Latest resolution.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// These predictions' crowds and resolutions, by id.
pub async fn predictions(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> diesel::QueryResult<HashMap<i64, PredictionState>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<PredictionState> = cached(
        diesel::sql_query(
            "SELECT p.id, p.comment_id, p.forecaster_count, p.community_probability, \
                    p.outcome, p.resolved_at \
             FROM predictions p JOIN articles a ON a.id = p.article_id \
             WHERE p.id = ANY($1) AND a.deleted_at IS NULL",
        )
        .bind::<Array<BigInt>, _>(ids),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// A thread's lock.
#[derive(Debug, Clone, QueryableByName)]
pub struct ThreadLock {
    /// The article.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Locked.
    #[diesel(sql_type = Bool)]
    pub locked: bool,
    /// Why.
    #[diesel(sql_type = Nullable<Text>)]
    pub lock_reason: Option<String>,
}

/// These articles' locks, by article id.
pub async fn locks(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> diesel::QueryResult<HashMap<i64, ThreadLock>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<ThreadLock> = cached(
        diesel::sql_query(
            "SELECT id, locked, lock_reason FROM articles \
             WHERE id = ANY($1) AND deleted_at IS NULL",
        )
        .bind::<Array<BigInt>, _>(ids),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

#[derive(QueryableByName)]
struct Unread {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    unread: i64,
}

/// Unread notifications of these readers, by user id (absent: none).
pub async fn unread_counts(
    conn: &mut AsyncPgConnection,
    users: &[i64],
) -> diesel::QueryResult<HashMap<i64, i64>> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Unread> = cached(
        diesel::sql_query(
            "SELECT user_id, count(*) AS unread FROM notifications \
             WHERE user_id = ANY($1) AND read_at IS NULL GROUP BY user_id",
        )
        .bind::<Array<BigInt>, _>(users),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.unread)).collect())
}
