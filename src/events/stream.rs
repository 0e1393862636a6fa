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
    /// The stream's slot under the per-IP and per-user limits.
    pub guard: StreamGuard,
}

/// What a stream starts with after `Last-Event-ID`.
pub struct Replay {
    /// The replayed frames, or a reset.
    pub frames: BytesMut,
    /// The highest id the replay covered.
    pub skip_through: i64,
}

/// Why a `Last-Event-ID` cannot be replayed, as `reset`'s reason; `Ok` with the id otherwise.
fn parse_last_id(raw: &str) -> Result<i64, &'static str> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or("invalid_id")
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
        });
    };
    let reset = |reason: &str| Replay {
        frames: BytesMut::from(&wire::reset(reason)[..]),
        skip_through: 0,
    };
    let last = match parse_last_id(raw) {
        Ok(id) => id,
        Err(reason) => return Ok(reset(reason)),
    };
    let horizon = log::horizon(conn).await?;
    if last < horizon.pruned_through {
        return Ok(reset("pruned"));
    }
    if last > horizon.newest {
        return Ok(reset("unknown_id"));
    }
    let missed = missed(conn, topic, last).await?;
    if missed.len() as i64 > REPLAY_MAX {
        return Ok(reset("too_far_behind"));
    }
    let skip_through = missed.last().map_or(last, |e| e.id);
    let mut frames = BytesMut::new();
    for event in render(conn, &missed, now).await? {
        frames.extend_from_slice(&event.frame);
    }
    Ok(Replay {
        frames,
        skip_through,
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
/// hub closes or the client falls `buffer` events behind (too slow: the stream ends and the
/// client's reconnect replays from the log). The guard and the subscription are dropped with
/// the body, whenever the connection goes.
pub fn body(opened: Opened) -> impl Stream<Item = Result<Bytes, Infallible>> + 'static {
    let Opened {
        prelude,
        subscription,
        skip_through,
        guard,
    } = opened;
    let state = Live {
        prelude: Some(prelude),
        subscription,
        skip_through,
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
    _guard: StreamGuard,
}

impl Live {
    /// The next chunk to write; `None` ends the stream.
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(prelude) = self.prelude.take() {
            return Some(prelude);
        }
        loop {
            match self.subscription.recv().await {
                Ok(Delivery::Event { id, frame }) if id > self.skip_through => return Some(frame),
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

    fn opened(hub: &super::super::hub::Hub, skip_through: i64) -> Opened {
        let limits = super::super::limits::StreamLimits::new(0, 0);
        Opened {
            prelude: Bytes::from_static(b"retry: 1\n\n"),
            subscription: hub
                .subscribe(Topic::Thread(crate::ids::ArticleId(1)))
                .expect("open hub"),
            skip_through,
            guard: limits.acquire("ip".to_owned(), None).expect("slot"),
        }
    }

    fn publish(hub: &super::super::hub::Hub, id: i64) {
        hub.publish(&super::super::render::Rendered {
            id,
            article_id: Some(crate::ids::ArticleId(1)),
            user_id: None,
            frame: Bytes::from(format!("id: {id}\n\n")),
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
}
