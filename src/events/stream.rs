//! One open stream: what it starts with (the `retry:` line, then the replay of what the
//! client missed, or a `reset`) and the body that follows the hub. The body is a state
//! machine polled by the connection's own task: no task, timer or query per stream.

use std::convert::Infallible;

use actix_web::web::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::hub::{Delivery, Subscription, Topic};
use super::limits::StreamGuard;
use super::log::{self, LoggedEvent};
use super::render::render;
use super::wire;
use crate::clock::Clock;

/// Most events a reconnecting stream is replayed; further behind, it gets a `reset`.
pub const REPLAY_MAX: i64 = 1000;

/// A stream ready to be served.
pub struct Opened {
    /// `retry:`, then the replay or the reset: sent first, as one chunk.
    pub prelude: Bytes,
    /// The hub registration (made before the replay was read).
    pub subscription: Subscription,
    /// Live events up to this id were replayed already (or predate the stream) and are skipped.
    pub skip_through: i64,
    /// The replay ended the stream (its thread was deleted): nothing follows the prelude.
    pub ended: bool,
    /// For a reader's stream, the clock and the instant after which it ends (checked whenever
    /// a delivery or heartbeat arrives, so no timer per stream); `None` for thread streams.
    pub lifetime: Option<(Clock, DateTime<Utc>)>,
    /// The stream's slot under the per-IP and per-user limits.
    pub guard: StreamGuard,
}

/// What a stream starts with after `Last-Event-ID`.
pub struct Replay {
    /// The replayed frames, or a reset.
    pub frames: BytesMut,
    /// The highest id the replay covered.
    pub skip_through: i64,
    /// The replay holds an event that ends the stream (`thread_deleted`), sent last.
    pub ended: bool,
}

/// Why a `Last-Event-ID` cannot be replayed, as `reset`'s reason; `Ok` with the id otherwise.
fn parse_last_id(raw: &str) -> Result<i64, &'static str> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or("invalid_id")
}

/// Whether the events after `last` can be replayed, given the `horizon` read before the
/// replay and, once the missed events were read, the `pruned_through` read after them and how
/// many there were; `Err` with `reset`'s reason otherwise.
fn replayable(
    last: i64,
    horizon: log::Horizon,
    read: Option<(i64, i64)>,
) -> Result<(), &'static str> {
    if last < horizon.pruned_through {
        return Err("pruned");
    }
    if last > horizon.newest {
        return Err("unknown_id");
    }
    match read {
        Some((pruned_since, _)) if last < pruned_since => Err("pruned"),
        Some((_, missed)) if missed > REPLAY_MAX => Err("too_far_behind"),
        _ => Ok(()),
    }
}

/// The replay of `topic` after `last_event_id` (nothing without one), read on `conn`.
pub async fn replay(
    conn: &mut AsyncPgConnection,
    topic: Topic,
    last_event_id: Option<&str>,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Replay> {
    let Some(raw) = last_event_id.filter(|raw| !raw.trim().is_empty()) else {
        return Ok(Replay {
            frames: BytesMut::new(),
            skip_through: 0,
            ended: false,
        });
    };
    let reset = |reason: &str| Replay {
        frames: BytesMut::from(&wire::reset(reason)[..]),
        skip_through: 0,
        ended: false,
    };
    let last = match parse_last_id(raw) {
        Ok(id) => id,
        Err(reason) => return Ok(reset(reason)),
    };
    let horizon = log::horizon(conn).await?;
    if let Err(reason) = replayable(last, horizon, None) {
        return Ok(reset(reason));
    }
    let missed = missed(conn, topic, last).await?;
    // Retention may have pruned between the horizon and the read: `missed` would then lack
    // the oldest events without a sign. The horizon read again after it says so (a prune
    // that commits later only deleted what `missed` already holds, and resets needlessly).
    let pruned_since = log::horizon(conn).await?.pruned_through;
    let missed_count = i64::try_from(missed.len()).unwrap_or(i64::MAX);
    if let Err(reason) = replayable(last, horizon, Some((pruned_since, missed_count))) {
        return Ok(reset(reason));
    }
    let skip_through = missed.last().map_or(last, |e| e.id);
    let mut frames = BytesMut::new();
    let mut ended = false;
    for event in render(conn, &missed, now).await? {
        frames.extend_from_slice(&event.frame);
        if event.ends_stream {
            ended = true;
            break;
        }
    }
    Ok(Replay {
        frames,
        skip_through,
        ended,
    })
}

/// The topic's events after `last`, one more than a replay sends (to see it is too many).
async fn missed(
    conn: &mut AsyncPgConnection,
    topic: Topic,
    last: i64,
) -> diesel::QueryResult<Vec<LoggedEvent>> {
    match topic {
        Topic::Thread(article) => log::for_article(conn, article, last, REPLAY_MAX + 1).await,
        Topic::User(user) => log::for_user(conn, user, last, REPLAY_MAX + 1).await,
    }
}

/// The response body: the prelude, then every live delivery past `skip_through`, until the
/// hub closes, the client falls `buffer` events behind (too slow: the stream ends and the
/// client's reconnect replays from the log), an event ends it (`thread_deleted`: sent, then
/// nothing more), or a reader's stream outlives its lifetime (the client opens a new one, with
/// a new ticket). The guard and the subscription are dropped with the body, whenever the
/// connection goes.
pub fn body(opened: Opened) -> impl Stream<Item = Result<Bytes, Infallible>> + 'static {
    let Opened {
        prelude,
        subscription,
        skip_through,
        ended,
        lifetime,
        guard,
    } = opened;
    let state = Live {
        prelude: Some(prelude),
        subscription,
        skip_through,
        ended,
        lifetime,
        _guard: guard,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        let chunk = state.next().await?;
        Some((Ok(chunk), state))
    })
}

/// The state of a live body.
struct Live {
    prelude: Option<Bytes>,
    subscription: Subscription,
    skip_through: i64,
    ended: bool,
    lifetime: Option<(Clock, DateTime<Utc>)>,
    _guard: StreamGuard,
}

impl Live {
    /// The next chunk to write; `None` ends the stream.
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(prelude) = self.prelude.take() {
            return Some(prelude);
        }
        if self.ended {
            return None;
        }
        loop {
            let delivery = self.subscription.recv().await;
            if self.outlived() {
                // Ended before sending: what arrived is replayed to the client's next stream.
                tracing::debug!("a reader's stream reached its lifetime and was ended");
                return None;
            }
            match delivery {
                Ok(Delivery::Event { id, frame, ends }) if id > self.skip_through => {
                    self.ended = ends;
                    return Some(frame);
                }
                Ok(Delivery::Event { .. }) => {}
                Ok(Delivery::Heartbeat) => return Some(Bytes::from_static(wire::HEARTBEAT)),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "a stream fell too far behind and was dropped");
                    return None;
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Whether the stream has lived as long as it may.
    fn outlived(&self) -> bool {
        self.lifetime
            .as_ref()
            .is_some_and(|(clock, until)| clock.now() >= *until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_ids_are_non_negative_integers() {
        assert_eq!(parse_last_id(" 42 "), Ok(42));
        assert_eq!(parse_last_id("0"), Ok(0));
        assert_eq!(parse_last_id("-1"), Err("invalid_id"));
        assert_eq!(parse_last_id("abc"), Err("invalid_id"));
    }

    #[test]
    fn a_prune_between_the_horizon_and_the_read_resets_instead_of_leaving_a_gap() {
        let horizon = log::Horizon {
            pruned_through: 10,
            newest: 50,
        };
        assert_eq!(replayable(9, horizon, None), Err("pruned"));
        assert_eq!(replayable(51, horizon, None), Err("unknown_id"));
        assert_eq!(replayable(10, horizon, None), Ok(()));
        assert_eq!(replayable(10, horizon, Some((10, 40))), Ok(()));
        // Pruned through 20 while the missed events were read: 11..=20 may be missing.
        assert_eq!(replayable(12, horizon, Some((20, 30))), Err("pruned"));
        assert_eq!(replayable(20, horizon, Some((20, 30))), Ok(()));
        assert_eq!(
            replayable(10, horizon, Some((10, REPLAY_MAX + 1))),
            Err("too_far_behind")
        );
    }

    fn opened(hub: &super::super::hub::Hub, skip_through: i64) -> Opened {
        let limits = super::super::limits::StreamLimits::new(0, 0);
        Opened {
            prelude: Bytes::from_static(b"retry: 1\n\n"),
            subscription: hub
                .subscribe(Topic::Thread(crate::ids::ArticleId(1)))
                .expect("open hub"),
            skip_through,
            ended: false,
            lifetime: None,
            guard: limits.acquire("ip".to_owned(), None).expect("slot"),
        }
    }

    fn publish(hub: &super::super::hub::Hub, id: i64) {
        hub.publish(&super::super::render::Rendered {
            id,
            article_id: Some(crate::ids::ArticleId(1)),
            user_id: None,
            frame: Bytes::from(format!("id: {id}\n\n")),
            ends_stream: false,
        });
    }

    #[tokio::test]
    async fn live_events_skip_what_the_replay_sent_and_a_slow_reader_is_dropped() {
        use futures_util::StreamExt;
        let hub = super::super::hub::Hub::new(8);
        let mut stream = std::pin::pin!(body(opened(&hub, 2)));
        for id in 1..=4 {
            publish(&hub, id);
        }
        hub.heartbeat();
        let chunks: Vec<Bytes> = stream
            .as_mut()
            .take(4)
            .map(|c| c.expect("chunk"))
            .collect()
            .await;
        assert_eq!(
            chunks,
            [
                Bytes::from_static(b"retry: 1\n\n"),
                Bytes::from_static(b"id: 3\n\n"),
                Bytes::from_static(b"id: 4\n\n"),
                Bytes::from_static(wire::HEARTBEAT),
            ]
        );
        // More than the buffer behind: the stream ends instead of skipping events.
        let small = super::super::hub::Hub::new(4);
        let mut slow = std::pin::pin!(body(opened(&small, 0)));
        assert!(slow.next().await.is_some(), "the prelude");
        for id in 5..=10 {
            publish(&small, id);
        }
        assert!(slow.next().await.is_none(), "a lagging stream ends");
        // Closing the hub ends the others.
        hub.close();
        assert!(stream.next().await.is_none());
        assert_eq!(hub.open_streams(), (0, 0));
    }

    #[tokio::test]
    async fn an_ending_event_is_sent_last_and_a_reader_stream_ends_at_its_lifetime() {
        use futures_util::StreamExt;
        let hub = super::super::hub::Hub::new(8);
        let mut stream = std::pin::pin!(body(opened(&hub, 0)));
        assert!(stream.next().await.is_some(), "the prelude");
        hub.publish(&super::super::render::Rendered {
            id: 1,
            article_id: Some(crate::ids::ArticleId(1)),
            user_id: None,
            frame: Bytes::from_static(b"id: 1\n\n"),
            ends_stream: true,
        });
        publish(&hub, 2);
        let last = stream
            .next()
            .await
            .expect("the ending event")
            .expect("chunk");
        assert_eq!(last, Bytes::from_static(b"id: 1\n\n"));
        assert!(stream.next().await.is_none(), "nothing after it");

        let clock = Clock::manual(Utc::now());
        let mut reader = opened(&hub, 0);
        reader.lifetime = Some((clock.clone(), clock.now() + chrono::Duration::seconds(60)));
        let mut reader = std::pin::pin!(body(reader));
        assert!(reader.next().await.is_some(), "the prelude");
        hub.heartbeat();
        assert!(reader.next().await.is_some(), "alive within its lifetime");
        clock.advance(chrono::Duration::seconds(60));
        hub.heartbeat();
        assert!(
            reader.next().await.is_none(),
            "ended at the first heartbeat after it"
        );
    }
}
