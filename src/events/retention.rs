//! Retention of the event log: once a minute, across every instance (claimed like the other
//! jobs), the oldest events beyond `event_retention_hours` are deleted — always a prefix of
//! ids, at most [`BATCH`] per run — and `event_log_state.pruned_through` moves to the last id
//! deleted, in the same transaction, so a stream asked to replay from below it sends `reset`.
//! Without it the log would grow by every write of the service, forever.

use std::time::Duration;

use diesel::sql_types::{BigInt, Interval};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::jobs::claim;
use crate::db::{cached, DbPool};

/// How often the job runs.
const EVERY: Duration = Duration::from_secs(60);

/// Most events deleted per run (a busy day is spread over many runs).
const BATCH: i64 = 50_000;

fn interval(duration: Duration) -> diesel::data_types::PgInterval {
    diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    )
}

/// Deletes the events older than `keep` — every id up to the newest event created before
/// then, at most [`BATCH`] of them — and moves the horizon past them; true when any went.
pub async fn prune(conn: &mut AsyncPgConnection, keep: Duration) -> diesel::QueryResult<bool> {
    let updated = cached(
        diesel::sql_query(
            "WITH horizon AS ( \
                 SELECT least( \
                     (SELECT max(id) FROM events WHERE created_at < now() - $1), \
                     (SELECT id FROM events ORDER BY id OFFSET $2 - 1 LIMIT 1)) AS through), \
             gone AS ( \
                 DELETE FROM events WHERE id <= (SELECT through FROM horizon) RETURNING id) \
             UPDATE event_log_state \
                SET pruned_through = greatest(pruned_through, (SELECT max(id) FROM gone)) \
              WHERE EXISTS (SELECT 1 FROM gone)",
        )
        .bind::<Interval, _>(interval(keep))
        .bind::<BigInt, _>(BATCH),
    )
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// The job: each instance ticks every minute, and the one that claims the run prunes.
pub fn spawn_retention(pool: DbPool, keep: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = prune_once(&pool, keep).await {
                tracing::warn!(%error, "pruning the event log failed");
            }
        }
    })
}

async fn prune_once(pool: &DbPool, keep: Duration) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let pruned = conn
        .transaction(async |conn| {
            if !claim(conn, "event_retention", EVERY).await? {
                return Ok::<_, diesel::result::Error>(false);
            }
            prune(conn, keep).await
        })
        .await?;
    if pruned {
        tracing::debug!("event log pruned");
    }
    Ok(())
}
