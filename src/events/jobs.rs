//! Background work that must run once per interval across every instance (vote events,
//! retention, deadline notices): each instance ticks, and the one whose UPDATE claims the
//! job's row for this interval does the work, in the same transaction as the claim.

use std::time::Duration;

use diesel::sql_types::{Interval, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;

/// Claims `job` for this interval: true when no instance ran it within `every`. Run it inside
/// the job's transaction so that a failed run leaves the claim unmade.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    job: &str,
    every: Duration,
) -> diesel::QueryResult<bool> {
    let every = diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(every.as_micros()).unwrap_or(i64::MAX),
    );
    cached(
        diesel::sql_query(
            "INSERT INTO job_runs AS j (name, last_run_at) VALUES ($1, now()) \
             ON CONFLICT (name) DO UPDATE SET last_run_at = now() \
             WHERE j.last_run_at <= now() - $2",
        )
        .bind::<Text, _>(job)
        .bind::<Interval, _>(every),
    )
    .execute(conn)
    .await
    .map(|claimed| claimed == 1)
}
