//! The background jobs of notifications, each run once per interval across every instance
//! (`events::jobs::claim` in the job's own transaction): announcing passed deadlines, and
//! retention (old notifications, old events, expired stream tickets, sent mail, expired
//! idempotency keys). Every
//! instance ticks; the one whose claim succeeds does the work.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::DbPool;
use crate::events::jobs::claim;
use crate::events::queries::append;
use crate::ids::UserId;
use crate::notifications::queries::jobs::{self as queries, PassedDeadline};
use crate::notifications::{record, NewNotification, NotificationKind};

/// The claim of a job lasts nine tenths of its interval: an instance ticking every interval
/// then finds its own previous claim lapsed despite timer jitter, while two instances still run
/// it once per interval between them.
pub fn claim_span(interval: Duration) -> Duration {
    interval.mul_f64(0.9)
}

/// Starts the deadline and retention jobs (each off when its interval is zero).
pub fn spawn(
    pool: &DbPool,
    settings: &Settings,
    clock: &Clock,
) -> Vec<tokio::task::JoinHandle<()>> {
    let deadlines = {
        let (pool, clock, every) = (pool.clone(), clock.clone(), settings.deadline_job);
        spawn_ticking(every, move || {
            let (pool, clock) = (pool.clone(), clock.clone());
            async move {
                let Ok(mut conn) = pool.get().await else {
                    return;
                };
                match announce_deadlines(&mut conn, claim_span(every), clock.now()).await {
                    Ok(told) => tracing::debug!(told, "deadline notices"),
                    Err(error) => tracing::warn!(%error, "announcing deadlines failed"),
                }
            }
        })
    };
    let retention = {
        let (pool, clock) = (pool.clone(), clock.clone());
        let every = settings.retention_job;
        let keep = Retention {
            notifications: settings.notification_retention,
            events: settings.event_retention,
        };
        spawn_ticking(every, move || {
            let (pool, clock) = (pool.clone(), clock.clone());
            async move {
                let Ok(mut conn) = pool.get().await else {
                    return;
                };
                if let Err(error) = prune(&mut conn, claim_span(every), keep, clock.now()).await {
                    tracing::warn!(%error, "retention failed");
                }
            }
        })
    };
    deadlines.into_iter().chain(retention).collect()
}

/// Runs `tick` every `interval` (not at once: the first run is one interval after start); off
/// (None) when the interval is zero.
pub fn spawn_ticking<F, Fut>(interval: Duration, mut tick: F) -> Option<tokio::task::JoinHandle<()>>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    if interval.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            tick().await;
        }
    }))
}

/// Announces the predictions whose deadline passed unresolved, once each: to the predictor and
/// to every moderator and admin (who resolve them), without an actor. The marks, the
/// notifications and their events are one transaction with the job's claim. Returns how many
/// notifications were written (0 when another instance holds the claim).
pub async fn announce_deadlines(
    conn: &mut AsyncPgConnection,
    every: Duration,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    conn.transaction(async |conn| {
        if !claim(conn, "deadline_notices", every).await? {
            return Ok(0);
        }
        let passed = queries::take_passed_deadlines(conn, now).await?;
        // A passed deadline turns the prediction's status to closed on its article's pages:
        // new caching versions for them, after the append (the log's lock, then version rows,
        // the order every appending write takes).
        let mut articles: Vec<i64> = passed.iter().map(|p| p.article_id.get()).collect();
        articles.sort_unstable();
        articles.dedup();
        if !passed.iter().any(|p| p.live) {
            crate::db::versions::bump(conn, &articles, &[], false).await?;
            return Ok(0);
        }
        let resolvers = queries::resolvers(conn).await?;
        let notices: Vec<NewNotification> = passed
            .iter()
            .filter(|p| p.live)
            .flat_map(|p| deadline_notices(p, &resolvers))
            .collect();
        let events = record(conn, &notices, now).await?;
        append(conn, &events).await?;
        crate::db::versions::bump(conn, &articles, &[], false).await?;
        Ok(events.len())
    })
    .await
}

/// The notices of one passed deadline: its author, then each resolver (once each).
fn deadline_notices(passed: &PassedDeadline, resolvers: &[UserId]) -> Vec<NewNotification> {
    std::iter::once(passed.author_id)
        .chain(resolvers.iter().copied().filter(|r| *r != passed.author_id))
        .map(|recipient| {
            NewNotification::new(NotificationKind::DeadlinePassed, recipient, None)
                .on_comment(passed.article_id, passed.comment_id)
                .on_prediction(passed.id)
        })
        .collect()
}

/// How long what the retention job prunes is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Notifications, by their creation time (the service clock).
    pub notifications: Duration,
    /// Events, by their creation time (the database clock, which stamps them).
    pub events: Duration,
}

/// Deletes notifications older than their retention, events older than theirs (moving the
/// log's `pruned_through`), expired stream tickets and mail sent more than
/// `mail::SENT_RETENTION` ago, `Idempotency-Key`s older than their 24 hours, and clears the mail marks of notifications too old to be mailed,
/// in one transaction with the claim.
/// Returns false when another instance holds the claim.
pub async fn prune(
    conn: &mut AsyncPgConnection,
    every: Duration,
    keep: Retention,
    now: DateTime<Utc>,
) -> diesel::QueryResult<bool> {
    conn.transaction(async |conn| {
        if !claim(conn, "retention", every).await? {
            return Ok(false);
        }
        let horizon =
            chrono::Duration::from_std(keep.notifications).unwrap_or(chrono::Duration::MAX);
        let cutoff = now
            .checked_sub_signed(horizon)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let notifications = queries::delete_notifications_before(conn, cutoff).await?;
        let events = queries::prune_events(conn, keep.events).await?;
        let tickets = queries::delete_expired_tickets(conn, now).await?;
        let sent = chrono::Duration::from_std(crate::mail::SENT_RETENTION)
            .unwrap_or(chrono::Duration::MAX);
        let mail = crate::mail::queries::delete_sent_before(
            conn,
            now.checked_sub_signed(sent)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        )
        .await?;
        let unmailed = crate::notifications::mail::clear_stale(
            conn,
            now - crate::notifications::mail::domain::STALE_AFTER,
        )
        .await?;
        let keys = crate::http::idempotency::queries::prune(
            conn,
            now,
            crate::http::idempotency::TTL_HOURS,
        )
        .await?;
        tracing::debug!(
            notifications,
            events,
            tickets,
            mail,
            unmailed,
            keys,
            "retention"
        );
        Ok(true)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ArticleId, CommentId, PredictionId};

    #[test]
    fn a_deadline_tells_its_author_and_each_resolver_once() {
        let passed = PassedDeadline {
            id: PredictionId(3),
            article_id: ArticleId(1),
            comment_id: CommentId(2),
            author_id: UserId(7),
            live: true,
        };
        let notices = deadline_notices(&passed, &[UserId(1), UserId(7), UserId(9)]);
        let recipients: Vec<UserId> = notices.iter().map(|n| n.recipient).collect();
        assert_eq!(recipients, [UserId(7), UserId(1), UserId(9)]);
        assert!(notices
            .iter()
            .all(|n| n.actor.is_none() && n.prediction_id == Some(PredictionId(3))));
    }

    #[test]
    fn a_claim_lapses_before_the_next_tick() {
        assert!(claim_span(Duration::from_secs(60)) < Duration::from_secs(60));
    }
}
