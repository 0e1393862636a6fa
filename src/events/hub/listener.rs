//! The hub's feeding task: a dedicated connection (not from the pool, so a busy pool never
//! delays live events) that LISTENs on `hindsight_events` and reads the log past the hub's
//! high-water mark whenever a notification arrives, every `poll` in case one was lost, and
//! after reconnecting (with backoff) when the connection drops. Ids are in commit order, so
//! "every id above the mark" never skips an event that commits later with a smaller id.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::{FutureExt, StreamExt};
use tokio::task::JoinHandle;
use tokio::time::{interval, sleep, Interval, MissedTickBehavior};

use super::Hub;
use crate::clock::Clock;
use crate::events::log;
use crate::events::render::render;
use crate::events::wire;

/// Events read per statement; a backlog is read in batches of this size.
const BATCH: i64 = 500;

/// Longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Consecutive failures to render the batch after one high-water mark before it is skipped.
/// Each failure replaces the connection and backs off, so this is a few seconds of trying:
/// long enough to ride out a lost connection, short enough that one event the renderer
/// cannot handle does not stall every stream of the instance behind it forever.
const MAX_RENDER_FAILURES: u32 = 5;

/// The `reset` reason streams get for events the listener had to skip.
const SKIPPED: &str = "skipped";

/// Counts consecutive failures to render the batch after one high-water mark and says when
/// to give up on it.
#[derive(Debug, Default)]
struct Stall {
    after: i64,
    failures: u32,
}

impl Stall {
    /// Records a failure to render the batch after `high_water`; true when that batch has now
    /// failed [`MAX_RENDER_FAILURES`] times in a row and must be skipped.
    fn failed(&mut self, high_water: i64) -> bool {
        if self.after != high_water {
            self.after = high_water;
            self.failures = 0;
        }
        self.failures += 1;
        if self.failures >= MAX_RENDER_FAILURES {
            self.failures = 0;
            return true;
        }
        false
    }

    /// A batch rendered: the count starts again.
    fn rendered(&mut self) {
        self.failures = 0;
    }
}

/// Where the listener reads from and how.
#[derive(Clone)]
pub struct ListenerConfig {
    /// The database.
    pub database_url: String,
    /// `statement_timeout` of the connection.
    pub statement_timeout: Duration,
    /// Fallback poll interval.
    pub poll: Duration,
    /// Heartbeat interval.
    pub heartbeat: Duration,
}

/// Connects, LISTENs and reads where the log ends now, then feeds `hub` in a task until the
/// hub closes. Fails (and so does startup) when the database cannot be reached at all.
pub async fn start(
    config: ListenerConfig,
    hub: Hub,
    clock: Clock,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mut conn = connect(&config).await?;
    let high_water = log::newest(&mut conn).await?;
    let heartbeat = tokio::spawn(beat(hub.clone(), config.heartbeat));
    let listener = Listener {
        config,
        hub,
        clock,
        high_water,
        stall: Stall::default(),
    };
    Ok(vec![heartbeat, tokio::spawn(listener.run(conn))])
}

/// Sends the heartbeat to every stream each `every`, until the hub closes.
async fn beat(hub: Hub, every: Duration) {
    let mut ticker = interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => hub.heartbeat(),
            () = hub.closed() => return,
        }
    }
}

async fn connect(config: &ListenerConfig) -> anyhow::Result<AsyncPgConnection> {
    let mut conn = AsyncPgConnection::establish(&config.database_url).await?;
    conn.batch_execute(&format!(
        "SET statement_timeout = {}; SET application_name = 'hindsight-events'; \
         SET jit = off; LISTEN hindsight_events",
        config.statement_timeout.as_millis()
    ))
    .await?;
    Ok(conn)
}

/// Why the listener woke up.
enum Wake {
    /// Notifications, the highest id they named (0 when unreadable).
    Notified(i64),
    /// The poll interval passed.
    Poll,
    /// The connection is gone.
    Lost,
    /// The hub closed.
    Closed,
}

struct Listener {
    config: ListenerConfig,
    hub: Hub,
    clock: Clock,
    high_water: i64,
    stall: Stall,
}

impl Listener {
    async fn run(mut self, conn: AsyncPgConnection) {
        let mut poll = interval(self.config.poll);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut conn = Some(conn);
        loop {
            let Some(current) = conn.as_mut() else {
                conn = self.reconnect().await;
                if conn.is_none() {
                    return;
                }
                continue;
            };
            let read = match wait(current, &mut poll, &self.hub).await {
                Wake::Closed => return,
                Wake::Lost => false,
                Wake::Notified(newest) if newest != 0 && newest <= self.high_water => continue,
                Wake::Notified(_) | Wake::Poll => true,
            };
            if !read || !self.catch_up(current).await {
                tracing::warn!("the live-event connection was lost; reconnecting");
                conn = None;
            }
        }
    }

    /// A new connection after a loss, retried with backoff; it reads what was missed before
    /// it is used. `None` when the hub closed meanwhile.
    async fn reconnect(&mut self) -> Option<AsyncPgConnection> {
        let mut backoff = Duration::from_millis(100);
        loop {
            tokio::select! {
                () = sleep(backoff) => {}
                () = self.hub.closed() => return None,
            }
            match connect(&self.config).await {
                Ok(mut conn) => {
                    if self.catch_up(&mut conn).await {
                        tracing::info!("the live-event connection is back");
                        return Some(conn);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "reconnecting the live-event connection failed")
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Reads, renders and publishes every event past the high-water mark; false when a
    /// statement failed (the connection is then replaced).
    async fn catch_up(&mut self, conn: &mut AsyncPgConnection) -> bool {
        match self.read_all(conn).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "reading the event log failed");
                false
            }
        }
    }

    async fn read_all(&mut self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        loop {
            let events = log::after(conn, self.high_water, BATCH).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                return Ok(());
            };
            let full = events.len() as i64 == BATCH;
            let wanted: Vec<_> = events.into_iter().filter(|e| self.hub.wants(e)).collect();
            let rendered = if wanted.is_empty() {
                Ok(Vec::new())
            } else {
                render(conn, &wanted, self.clock.now()).await
            };
            match rendered {
                Ok(rendered) => {
                    self.stall.rendered();
                    for event in rendered {
                        self.hub.publish(&event);
                    }
                }
                Err(error) if self.stall.failed(self.high_water) => {
                    // Retrying the same batch forever would stall every stream here while
                    // heartbeats make them look alive; its streams reload instead, and the
                    // reset's id lets their reconnect resume past the batch.
                    tracing::error!(
                        %error,
                        after = self.high_water,
                        through = last,
                        events = wanted.len(),
                        "rendering live events kept failing; the batch is skipped and its \
                         streams are sent a reset"
                    );
                    self.hub
                        .reset(&wanted, last, &wire::reset_at(last, SKIPPED));
                }
                Err(error) => return Err(error),
            }
            self.high_water = last;
            if !full {
                return Ok(());
            }
        }
    }
}

/// Waits for a notification (then takes every one already queued), the poll, a lost
/// connection or the hub's closing.
async fn wait(conn: &mut AsyncPgConnection, poll: &mut Interval, hub: &Hub) -> Wake {
    let mut notifications = std::pin::pin!(conn.notifications_stream());
    let first = tokio::select! {
        item = notifications.next() => item,
        _ = poll.tick() => return Wake::Poll,
        () = hub.closed() => return Wake::Closed,
    };
    let mut newest = 0;
    let mut item = first;
    loop {
        match item {
            Some(Ok(notification)) => {
                newest = newest.max(notification.payload.parse::<i64>().unwrap_or(0));
            }
            Some(Err(_)) | None => return Wake::Lost,
        }
        match notifications.next().now_or_never() {
            Some(next) => item = next,
            None => return Wake::Notified(newest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_skipped_after_repeated_failures_in_a_row_and_only_then() {
        let mut stall = Stall::default();
        for _ in 1..MAX_RENDER_FAILURES {
            assert!(!stall.failed(10), "retried before the limit");
        }
        assert!(stall.failed(10), "skipped at the limit");
        // After a skip, the next batch (after a new mark) gets its own attempts.
        for _ in 1..MAX_RENDER_FAILURES {
            assert!(!stall.failed(20));
        }
        // A success, or a failure of another batch, starts the count again.
        stall.rendered();
        assert!(!stall.failed(20));
        for _ in 1..MAX_RENDER_FAILURES - 1 {
            assert!(!stall.failed(20));
        }
        assert!(!stall.failed(30), "another batch starts at one");
        for _ in 2..MAX_RENDER_FAILURES {
            assert!(!stall.failed(30));
        }
        assert!(stall.failed(30));
    }
}
