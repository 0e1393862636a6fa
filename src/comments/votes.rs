//! Voting: `PUT /comments/{id}/vote`. The work is one call of the `r.vote` SQL function
//! (src/db/replaceable.sql): it locks the comment row, so every vote on a comment is serialised and
//! the counters, ranks and the author's karma always equal what `comment_votes` says, in one
//! round trip. The design cannot deadlock (one comment row, then one user row); serialisation
//! failures and deadlocks are still retried here, so none ever reaches a client.

use std::time::Duration;

use actix_web::{put, web};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, SmallInt, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::AuthUser;
use crate::comments::model::{VoteRequest, VoteResult};
use crate::db::cached;
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::startup::AppState;

/// What `r.vote` answered.
#[derive(Debug, QueryableByName)]
pub struct VoteRow {
    /// `ok`, `not_found`, `own` or `not_live`.
    #[diesel(sql_type = Text)]
    pub outcome: String,
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
/// never produce).
pub async fn cast_vote(
    conn: &mut AsyncPgConnection,
    comment_id: i64,
    user_id: i64,
    value: i16,
    now: DateTime<Utc>,
) -> diesel::QueryResult<VoteRow> {
    let mut attempt = 0;
    loop {
        let result = cached(
            diesel::sql_query("SELECT * FROM r.vote($1, $2, $3, $4)")
                .bind::<BigInt, _>(comment_id)
                .bind::<BigInt, _>(user_id)
                .bind::<SmallInt, _>(value)
                .bind::<Timestamptz, _>(now),
        )
        .get_result::<VoteRow>(conn)
        .await;
        match result {
            Err(e) if attempt < 5 && is_retryable(&e) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
            }
            other => return other,
        }
    }
}

/// Vote on a comment: 1 up, -1 down, 0 clears. Idempotent: the same value twice changes
/// nothing.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = VoteRequest,
    responses(
        (status = 200, description = "The comment's counters after this vote", body = VoteResult),
        (status = 403, description = "Voting on your own comment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The comment is deleted or removed", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[put("/comments/{id}/vote")]
pub async fn vote(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<VoteRequest>,
) -> Result<web::Json<VoteResult>, ApiError> {
    user.ensure_can_contribute()?;
    state
        .limiter
        .take(state.limiter.limits().votes, &format!("votes:{}", user.id))?;
    let body = body.into_inner()?;
    let value = match body.value {
        -1 => -1_i16,
        0 => 0,
        1 => 1,
        _ => {
            return Err(ApiError::invalid(
                "value",
                "out_of_range",
                "1 (up), -1 (down) or 0 (clear)",
            ))
        }
    };
    let comment_id = *id;
    let mut conn = state.pool.get().await?;
    let row = cast_vote(&mut conn, comment_id, user.id, value, state.clock.now()).await?;
    if row.outcome == "ok" {
        state.metrics.count(crate::metrics::Event::Vote);
    }
    match row.outcome.as_str() {
        "ok" => Ok(web::Json(VoteResult {
            comment_id,
            upvotes: row.upvotes,
            downvotes: row.downvotes,
            score: row.score,
            my_vote: row.my_vote,
        })),
        "own" => Err(ApiError::Forbidden {
            kind: crate::error::ProblemKind::OwnComment,
            detail: "you cannot vote on your own comment".to_owned(),
            code: None,
            extra: serde_json::Map::new(),
        }),
        "not_live" => Err(ApiError::conflict(
            crate::error::ProblemKind::CommentNotLive,
            "the comment was deleted or removed",
        )),
        _ => Err(ApiError::not_found(format!("comment {comment_id}"))),
    }
}

/// Recomputes the hot rank of comments younger than seven days (older ones keep their last
/// value); the server runs it every minute. Only ranks that moved by more than 0.5 % are
/// written, in batches of 2,000 rows so that no statement holds locks for long: after the
/// first hour a comment's rank changes by less than that per minute, so a busy week of
/// comments costs mostly a scan of the recent-comments index, not a rewrite of every row.
pub async fn refresh_hot(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    let mut total = 0;
    loop {
        let updated = cached(
            diesel::sql_query(
                "UPDATE comments SET rank_hot = r.hot(score, created_at, $1) \
                 WHERE id IN ( \
                    SELECT id FROM comments \
                    WHERE created_at > $1 - interval '7 days' \
                      AND abs(rank_hot - r.hot(score, created_at, $1)) \
                          > 0.005 * r.hot(score, created_at, $1) \
                    ORDER BY id LIMIT 2000 FOR UPDATE SKIP LOCKED)",
            )
            .bind::<Timestamptz, _>(now),
        )
        .execute(conn)
        .await?;
        total += updated;
        if updated < 2000 {
            return Ok(total);
        }
    }
}
