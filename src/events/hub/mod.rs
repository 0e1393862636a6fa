//! The hub: one per instance. It holds a broadcast channel per watched thread and per
//! connected reader, and the task that feeds them ([`listener`]): on every `NOTIFY
//! hindsight_events` (and on a fallback poll) it reads the log past its high-water mark in one
//! statement, renders each event once and sends the same bytes to the event's channels.
//!
//! Why broadcast channels: a stream is a receiver polled by the connection's own task, so an
//! open stream costs a receiver and its connection, not a task, a timer or a query; a frame is
//! an `Arc`-counted `Bytes` shared by every receiver. A channel's capacity is the bound on how
//! far a stream may fall behind: a receiver that lags is a client too slow to read, and its
//! stream ends (the client reconnects with `Last-Event-ID` and is replayed from the log).
//! Channels are removed when their last stream ends, and all of them are dropped on shutdown,
//! which ends every stream so that clients reconnect to another instance.

pub mod listener;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use tokio::sync::{broadcast, watch};

use super::log::LoggedEvent;
use super::render::Rendered;
use crate::ids::{ArticleId, UserId};

/// Events a reader's own stream may fall behind (notifications arrive a few a minute).
const USER_BUFFER: usize = 16;

/// What a stream receives.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// An event: its id (to skip what a replay already sent) and its frame.
    Event {
        /// The event id.
        id: i64,
        /// The rendered frame, shared by every stream.
        frame: Bytes,
        /// The stream ends after this frame (its thread was deleted).
        ends: bool,
    },
    /// Time for a heartbeat comment.
    Heartbeat,
}

/// Which stream a subscription is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// `GET /articles/{slug}/events`.
    Thread(ArticleId),
    /// `GET /me/events`.
    User(UserId),
}

type Channels<K> = Mutex<HashMap<K, broadcast::Sender<Delivery>>>;

struct Inner {
    threads: Channels<ArticleId>,
    users: Channels<UserId>,
    thread_buffer: usize,
    closed: watch::Sender<bool>,
}

/// The instance's hub (cheap to clone: one `Arc`).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// Locks a channel map, also after a panic elsewhere (the map stays consistent: every
/// change is one insert or remove).
fn lock<K>(
    channels: &Channels<K>,
) -> std::sync::MutexGuard<'_, HashMap<K, broadcast::Sender<Delivery>>> {
    channels.lock().unwrap_or_else(|p| p.into_inner())
}

fn subscribe_to<K: Eq + Hash>(
    channels: &Channels<K>,
    key: K,
    capacity: usize,
) -> broadcast::Receiver<Delivery> {
    lock(channels)
        .entry(key)
        .or_insert_with(|| broadcast::channel(capacity).0)
        .subscribe()
}

fn send_to<K: Eq + Hash>(channels: &Channels<K>, key: &K, delivery: Delivery) {
    // The sender is cloned so that waking every receiver happens outside the map's lock.
    let sender = lock(channels).get(key).cloned();
    if let Some(sender) = sender {
        let _ = sender.send(delivery);
    }
}

fn forget_if_unused<K: Eq + Hash>(channels: &Channels<K>, key: &K) {
    let mut map = lock(channels);
    if map.get(key).is_some_and(|s| s.receiver_count() == 0) {
        map.remove(key);
    }
}

fn receivers<K>(channels: &Channels<K>) -> usize {
    lock(channels)
        .values()
        .map(broadcast::Sender::receiver_count)
        .sum()
}

impl Hub {
    /// An empty hub whose thread channels hold `thread_buffer` events.
    pub fn new(thread_buffer: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                threads: Mutex::new(HashMap::new()),
                users: Mutex::new(HashMap::new()),
                thread_buffer: thread_buffer.max(1),
                closed: watch::channel(false).0,
            }),
        }
    }

    /// Registers a stream for `topic`; `None` once the hub is closed (shutting down).
    /// Register before reading the replay: what the hub sends from now on is received, and
    /// what it sent before is already in the log.
    pub fn subscribe(&self, topic: Topic) -> Option<Subscription> {
        if *self.inner.closed.borrow() {
            return None;
        }
        let receiver = match topic {
            Topic::Thread(id) => subscribe_to(&self.inner.threads, id, self.inner.thread_buffer),
            Topic::User(id) => subscribe_to(&self.inner.users, id, USER_BUFFER),
        };
        Some(Subscription {
            receiver: Some(receiver),
            topic,
            hub: self.inner.clone(),
        })
    }

    /// Whether any stream on this instance would receive `event` (others are not rendered).
    pub fn wants(&self, event: &LoggedEvent) -> bool {
        let thread = event
            .article_id
            .is_some_and(|id| lock(&self.inner.threads).contains_key(&id));
        thread
            || event
                .user_id
                .is_some_and(|id| lock(&self.inner.users).contains_key(&id))
    }

    /// Sends a rendered event to its thread's and its reader's streams.
    pub fn publish(&self, event: &Rendered) {
        let delivery = Delivery::Event {
            id: event.id,
            frame: event.frame.clone(),
            ends: event.ends_stream,
        };
        if let Some(article) = event.article_id {
            send_to(&self.inner.threads, &article, delivery.clone());
        }
        if let Some(user) = event.user_id {
            send_to(&self.inner.users, &user, delivery);
        }
    }

    /// Sends `frame` (a `reset` carrying `id`) to the streams of every one of `events`, once
    /// per stream: what the listener does with events it had to skip. A stream that replayed
    /// past `id` already has them and skips it like any delivery.
    pub fn reset(&self, events: &[LoggedEvent], id: i64, frame: &Bytes) {
        let delivery = Delivery::Event {
            id,
            frame: frame.clone(),
            ends: false,
        };
        let mut articles: Vec<ArticleId> = events.iter().filter_map(|e| e.article_id).collect();
        articles.sort_unstable();
        articles.dedup();
        let mut users: Vec<UserId> = events.iter().filter_map(|e| e.user_id).collect();
        users.sort_unstable();
        users.dedup();
        for article in &articles {
            send_to(&self.inner.threads, article, delivery.clone());
        }
        for user in &users {
            send_to(&self.inner.users, user, delivery.clone());
        }
    }

    /// Sends a heartbeat to every open stream.
    pub fn heartbeat(&self) {
        let senders: Vec<broadcast::Sender<Delivery>> = lock(&self.inner.threads)
            .values()
            .chain(lock(&self.inner.users).values())
            .cloned()
            .collect();
        for sender in senders {
            let _ = sender.send(Delivery::Heartbeat);
        }
    }

    /// Ends every stream and refuses new ones (graceful shutdown): dropping the senders ends
    /// each receiver once it has read what was already sent.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
        lock(&self.inner.threads).clear();
        lock(&self.inner.users).clear();
    }

    /// Resolves when the hub is closed (the listener and heartbeat tasks stop on it).
    pub async fn closed(&self) {
        let mut closed = self.inner.closed.subscribe();
        let _ = closed.wait_for(|c| *c).await;
    }

    /// Open streams on this instance (threads, users), for metrics and tests.
    pub fn open_streams(&self) -> (usize, usize) {
        (receivers(&self.inner.threads), receivers(&self.inner.users))
    }
}

/// One stream's registration; dropping it removes the channel when it was the last.
pub struct Subscription {
    receiver: Option<broadcast::Receiver<Delivery>>,
    topic: Topic,
    hub: Arc<Inner>,
}

impl Subscription {
    /// The next delivery; `Lagged` means the stream fell too far behind, `Closed` that the
    /// hub shut down.
    pub async fn recv(&mut self) -> Result<Delivery, broadcast::error::RecvError> {
        match self.receiver.as_mut() {
            Some(receiver) => receiver.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        match self.topic {
            Topic::Thread(id) => forget_if_unused(&self.hub.threads, &id),
            Topic::User(id) => forget_if_unused(&self.hub.users, &id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(id: i64, article: Option<i64>, user: Option<i64>) -> LoggedEvent {
        LoggedEvent {
            id,
            kind: "votes".to_owned(),
            article_id: article.map(ArticleId),
            user_id: user.map(UserId),
            comment_id: None,
            prediction_id: None,
            notification_id: None,
        }
    }

    #[tokio::test]
    async fn a_reset_reaches_each_stream_of_the_skipped_events_once() {
        let hub = Hub::new(8);
        let mut thread = hub.subscribe(Topic::Thread(ArticleId(1))).expect("open");
        let mut user = hub.subscribe(Topic::User(UserId(2))).expect("open");
        let mut other = hub.subscribe(Topic::Thread(ArticleId(3))).expect("open");
        let events = [
            logged(5, Some(1), None),
            logged(6, Some(1), None),
            logged(7, None, Some(2)),
        ];
        let frame = Bytes::from_static(b"id: 7\nevent: reset\n\n");
        hub.reset(&events, 7, &frame);
        hub.heartbeat();
        for stream in [&mut thread, &mut user] {
            match stream.recv().await {
                Ok(Delivery::Event {
                    id,
                    frame: got,
                    ends,
                }) => {
                    assert_eq!((id, &got, ends), (7, &frame, false));
                }
                other => panic!("a reset was expected, got {other:?}"),
            }
            assert!(matches!(stream.recv().await, Ok(Delivery::Heartbeat)));
        }
        assert!(matches!(other.recv().await, Ok(Delivery::Heartbeat)));
    }
}
