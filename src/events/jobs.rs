//! Background work that must run once per interval across every instance (vote events,
//! retention, deadline notices): each instance ticks, and the one whose UPDATE claims the
//! job's row for this interval does the work, in the same transaction as the claim.

use std::time::Duration;

use diesel::sql_types::{Interval, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::db::{cached, DbPool};

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

/// The coalescing window of `votes` events: at most one per comment per window.
pub const VOTE_EVENTS_EVERY: Duration = Duration::from_secs(1);

/// How often each instance tries to claim the vote-events job (a fraction of the window, so
/// the window is kept closely whichever instance claims it).
const VOTE_EVENTS_TICK: Duration = Duration::from_millis(250);

/// Turns the comments whose votes changed into `votes` events, once per [`VOTE_EVENTS_EVERY`]
/// across every instance: votes themselves only mark the comment (`r.vote`), so 200 votes a
/// second on one comment cost its streams one event a second.
pub fn spawn_vote_events(pool: DbPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(VOTE_EVENTS_TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match flush_votes_once(&pool).await {
                Ok(0) => {}
                Ok(events) => tracing::debug!(events, "vote events written"),
                Err(error) => tracing::warn!(%error, "writing vote events failed"),
            }
        }
    })
}

/// One claimed run of the vote-events job; 0 when another instance ran it within the window.
async fn flush_votes_once(pool: &DbPool) -> anyhow::Result<usize> {
    let mut conn = pool.get().await?;
    let written = conn
        .transaction(async |conn| {
            if !claim(conn, "vote_events", VOTE_EVENTS_EVERY).await? {
                return Ok::<_, diesel::result::Error>(0);
            }
            super::queries::flush_vote_changes(conn).await
        })
        .await?;
    Ok(written)
}
