//! Live streams (SSE) through HTTP: thread and reader streams, replay after `Last-Event-ID`,
//! `reset`, tickets, limits, heartbeats, two instances on one database, shutdown.

use std::time::{Duration, Instant};

use hindsight::events::{queries::append, Event, EventKind};
use hindsight::ids::{ArticleId, CommentId};
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_with_status, TestApp, TestUser};

/// How long a test waits for something that should happen at once.
const SOON: Duration = Duration::from_secs(10);

/// One SSE block as received.
#[derive(Debug, Clone)]
pub struct SseEvent {
    /// `id:`, when present.
    pub id: Option<i64>,
    /// `event:`.
    pub event: String,
    /// `data:`, parsed.
    pub data: Value,
}

/// What a stream sent: an event, a comment line (heartbeat) or `retry:`.
#[derive(Debug, Clone)]
pub enum Block {
    Event(SseEvent),
    Comment(String),
    Retry(u64),
}

/// An open stream read chunk by chunk.
pub struct Sse {
    response: Response,
    buffer: String,
}

fn parse_block(text: &str) -> Block {
    let mut id = None;
    let mut event = None;
    let mut data = String::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            return Block::Comment(comment.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("retry: ") {
            return Block::Retry(value.parse().expect("retry is a number"));
        } else if let Some(value) = line.strip_prefix("id: ") {
            id = Some(value.parse().expect("ids are numbers"));
        } else if let Some(value) = line.strip_prefix("event: ") {
            event = Some(value.to_owned());
        } else if let Some(value) = line.strip_prefix("data: ") {
            data.push_str(value);
        } else {
            panic!("unexpected SSE line {line:?} in {text:?}");
        }
    }
    Block::Event(SseEvent {
        id,
        event: event.expect("every event is named"),
        data: serde_json::from_str(&data).expect("data is JSON"),
    })
}

impl Sse {
    /// Wraps a 200 `text/event-stream` response (asserting the stream headers).
    pub fn new(response: Response) -> Self {
        assert_eq!(response.status(), 200, "the stream opens");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(header("content-type"), "text/event-stream");
        let cache = header("cache-control");
        let personal = response.url().path() == "/api/v1/me/events";
        assert_eq!(cache, if personal { "no-store" } else { "no-cache" });
        assert_eq!(header("x-accel-buffering"), "no");
        assert_ne!(header("content-encoding"), "gzip");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next block, `None` when the stream ended, panicking after `within`.
    pub async fn next_block(&mut self, within: Duration) -> Option<Block> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(parse_block(block.trim_end()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    self.buffer
                        .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
                }
                Ok(Ok(None)) | Ok(Err(_)) => return None,
                Err(_) => panic!("nothing arrived on the stream within {within:?}"),
            }
        }
    }

    /// The next event (skipping heartbeats and `retry:`).
    pub async fn next_event(&mut self) -> SseEvent {
        loop {
            match self.next_block(SOON).await {
                Some(Block::Event(event)) => return event,
                Some(_) => {}
                None => panic!("the stream ended while an event was expected"),
            }
        }
    }

    /// Events until one of `kind`, which is returned with the ones before it.
    pub async fn until(&mut self, kind: &str) -> (SseEvent, Vec<SseEvent>) {
        let mut before = Vec::new();
        loop {
            let event = self.next_event().await;
            if event.event == kind {
                return (event, before);
            }
            before.push(event);
        }
    }

    /// Waits for the stream to end (heartbeats and events before the end are skipped).
    pub async fn ends(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while self
            .next_block(deadline.saturating_duration_since(Instant::now()))
            .await
            .is_some()
        {}
    }
}

/// Opens the thread stream of `slug` on `app`, optionally after `last` (header).
pub async fn thread_stream(app: &TestApp, slug: &str, last: Option<&str>) -> Response {
    let mut request = app.request(Method::GET, &format!("/api/v1/articles/{slug}/events"));
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last);
    }
    request.send().await.expect("request")
}

/// The id of the article `slug`.
pub async fn article_id(app: &TestApp, slug: &str) -> ArticleId {
    ArticleId(
        app.count(&format!(
            "SELECT id AS count FROM articles WHERE slug = '{slug}'"
        ))
        .await,
    )
}

/// Appends events straight to the log, as a write transaction does.
pub async fn append_events(app: &TestApp, events: &[Event]) {
    let mut conn = app.db().await;
    append(&mut conn, events).await.expect("append");
}

/// An article with a thread, its admin and a commenter.
struct Thread {
    slug: String,
    article: ArticleId,
    admin: TestUser,
    user: TestUser,
}

async fn thread(app: &TestApp) -> Thread {
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Live thread", &[]).await;
    let user = app.register("live_reader").await;
    Thread {
        article: article_id(app, &slug).await,
        slug,
        admin,
        user,
    }
}

#[tokio::test]
async fn a_thread_stream_sends_retry_then_events_rendered_as_an_anonymous_reader_sees_them() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);
    match stream.next_block(SOON).await {
        Some(Block::Retry(ms)) => assert_eq!(ms, 3000),
        other => panic!("a stream starts with retry, got {other:?}"),
    }
    let id = app
        .comment_id(&t.user, &t.slug, "Hello, live thread", None)
        .await;
    let (event, _) = stream.until("comment_created").await;
    assert!(event.id.is_some());
    assert_eq!(event.data["id"], id);
    assert_eq!(event.data["body"], "Hello, live thread");
    assert_eq!(event.data["author"]["username"], "live_reader");
    crate::helpers::assert_null(&event.data, "my_vote");
    // Exactly what an anonymous GET of the comment answers.
    let fetched = app.get_json(&format!("/api/v1/comments/{id}")).await;
    assert_eq!(event.data, fetched);
}

#[tokio::test]
async fn an_unknown_article_is_a_404_problem_before_any_stream() {
    let app = TestApp::spawn().await;
    assert_problem(thread_stream(&app, "no-such-article", None).await, 404).await;
}

#[tokio::test]
async fn reconnecting_with_last_event_id_replays_exactly_the_missed_events_then_goes_live() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let voter = app.register("live_voter").await;
    let other = app.create_article(&t.admin, "Another thread", &[]).await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);
    let first = app.comment_id(&t.user, &t.slug, "first", None).await;
    let (seen, _) = stream.until("comment_created").await;
    assert_eq!(seen.data["id"], first);
    let last = seen.id.expect("id");
    drop(stream);

    // Missed while disconnected: a comment and a vote here, a comment on another thread.
    let second = app.comment_id(&t.user, &t.slug, "second", None).await;
    app.comment_id(&t.user, &other, "elsewhere", None).await;
    vote(&app, &voter, first, 1).await;
    wait_for_events(&app, "votes", 1).await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, Some(&last.to_string())).await);
    let replayed = [stream.next_event().await, stream.next_event().await];
    assert_eq!(replayed[0].event, "comment_created");
    assert_eq!(replayed[0].data["id"], second);
    assert_eq!(replayed[1].event, "votes");
    assert_eq!(
        replayed[1].data,
        json!({"comment_id": first, "upvotes": 1, "downvotes": 0, "score": 1})
    );
    assert!(replayed[0].id > Some(last) && replayed[0].id < replayed[1].id);
    // Then live, nothing repeated and nothing skipped.
    let third = app.comment_id(&t.user, &t.slug, "third", None).await;
    let live = stream.next_event().await;
    assert_eq!(live.event, "comment_created");
    assert_eq!(live.data["id"], third);

    // The `last_event_id` parameter does the same for a first connection.
    let mut resumed = Sse::new(
        app.get(&format!(
            "/api/v1/articles/{}/events?last_event_id={last}",
            t.slug
        ))
        .await,
    );
    assert_eq!(resumed.next_event().await.data["id"], second);
}

/// Votes `value` on `comment` as `user`.
async fn vote(app: &TestApp, user: &TestUser, comment: i64, value: i64) {
    json_with_status(
        app.send_json(
            Method::PUT,
            &format!("/api/v1/comments/{comment}/vote"),
            Some(&user.token),
            &json!({"value": value}),
        )
        .await,
        200,
    )
    .await;
}

/// Waits until the log holds at least `n` events of `kind` (the vote job runs every second).
async fn wait_for_events(app: &TestApp, kind: &str, n: i64) {
    let deadline = Instant::now() + SOON;
    while app
        .count(&format!(
            "SELECT count(*) AS count FROM events WHERE kind = '{kind}'"
        ))
        .await
        < n
    {
        assert!(Instant::now() < deadline, "no {kind} event was written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn ids_the_log_cannot_replay_get_a_reset_and_the_stream_continues() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let id = app.comment_id(&t.user, &t.slug, "a comment", None).await;
    for _ in 0..3 {
        append_events(
            &app,
            &[Event::comment(EventKind::Votes, t.article, CommentId(id))],
        )
        .await;
    }
    let newest = app.count("SELECT max(id) AS count FROM events").await;
    let mut conn = app.db().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE event_log_state SET pruned_through = {}",
            newest - 1
        )),
        &mut conn,
    )
    .await
    .expect("prune");
    for (last, reason) in [
        ((newest - 2).to_string(), "pruned"),
        ((newest + 100).to_string(), "unknown_id"),
        ("yesterday".to_owned(), "invalid_id"),
    ] {
        let mut stream = Sse::new(thread_stream(&app, &t.slug, Some(&last)).await);
        let reset = stream.next_event().await;
        assert_eq!(reset.event, "reset", "after {last}");
        assert_eq!(reset.id, None);
        assert_eq!(reset.data, json!({"reason": reason}));
    }
    // At the horizon itself nothing is missing: the one event after it is replayed.
    let mut stream = Sse::new(thread_stream(&app, &t.slug, Some(&(newest - 1).to_string())).await);
    let replayed = stream.next_event().await;
    assert_eq!(
        (replayed.event.as_str(), replayed.id),
        ("votes", Some(newest))
    );
    // A reset stream still goes live.
    let mut stream = Sse::new(thread_stream(&app, &t.slug, Some("nonsense")).await);
    assert_eq!(stream.next_event().await.event, "reset");
    let moderator = app.register_with_role("live_mod", "moderator").await;
    json_with_status(
        app.send_json(
            Method::PUT,
            &format!("/api/v1/comments/{id}/pin"),
            Some(&moderator.token),
            &json!({"pinned": true}),
        )
        .await,
        200,
    )
    .await;
    let pinned = stream.next_event().await;
    assert_eq!(pinned.event, "comment_pinned");
    assert_eq!(pinned.data, json!({"comment_id": id, "pinned": true}));
}

#[tokio::test]
async fn heartbeats_keep_an_idle_stream_alive() {
    let app = TestApp::spawn_with(|s| s.streams.heartbeat = Duration::from_millis(100)).await;
    let t = thread(&app).await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);
    let mut beats = 0;
    while beats < 2 {
        match stream.next_block(SOON).await {
            Some(Block::Comment(text)) => {
                assert_eq!(text, "hb");
                beats += 1;
            }
            Some(Block::Retry(_)) => {}
            other => panic!("only heartbeats on an idle stream, got {other:?}"),
        }
    }
}

/// A ticket for `user`.
async fn ticket(app: &TestApp, user: &TestUser) -> String {
    let body = json_with_status(
        app.post_as(&user.token, "/api/v1/me/events/ticket", &json!({}))
            .await,
        201,
    )
    .await;
    assert!(body["expires_at"].is_string());
    body["ticket"].as_str().expect("ticket").to_owned()
}

async fn my_stream(app: &TestApp, ticket: &str) -> Response {
    app.get(&format!("/api/v1/me/events?ticket={ticket}")).await
}

#[tokio::test]
async fn tickets_open_the_readers_stream_once_before_they_expire_on_any_instance() {
    let app = TestApp::spawn().await;
    let user = app.register("ticket_holder").await;
    assert_problem(app.post("/api/v1/me/events/ticket", &json!({})).await, 401).await;
    let first = ticket(&app, &user).await;
    let mut stream = Sse::new(my_stream(&app, &first).await);
    // Single use.
    assert_problem(my_stream(&app, &first).await, 401).await;
    // Wrong, missing, or an access token in the URL.
    assert_problem(my_stream(&app, "bm90LWEtdGlja2V0").await, 401).await;
    assert_problem(app.get("/api/v1/me/events").await, 401).await;
    assert_problem(
        app.get(&format!("/api/v1/me/events?access_token={}", user.token))
            .await,
        401,
    )
    .await;
    // Expired.
    let late = ticket(&app, &user).await;
    app.clock.advance(chrono::Duration::seconds(61));
    assert_problem(my_stream(&app, &late).await, 401).await;
    // Issued by one instance, redeemed on another.
    let user = app.login(&user).await;
    let other = app.second_instance().await;
    let across = ticket(&app, &user).await;
    let mut elsewhere = Sse::new(my_stream(&other, &across).await);
    // The Authorization header works too.
    let mut with_header = Sse::new(app.get_as(&user.token, "/api/v1/me/events").await);

    // A reply's notification reaches every stream of its reader with the unread count, as
    // the reader's list shows it.
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Notified", &[]).await;
    let replier = app.register("the_replier").await;
    let parent = app.comment_id(&user, &slug, "A question", None).await;
    app.comment_id(&replier, &slug, "An answer", Some(parent))
        .await;
    let listed = json_with_status(
        app.get_as(&user.token, "/api/v1/me/notifications").await,
        200,
    )
    .await;
    let item = listed["items"][0].clone();
    assert_eq!(item["kind"], "reply");
    for s in [&mut stream, &mut elsewhere, &mut with_header] {
        let event = s.next_event().await;
        assert_eq!(event.event, "notification");
        assert_eq!(
            event.data,
            json!({"notification": item, "unread_notifications": 1})
        );
    }
    // Read marks tell the reader's other tabs.
    json_with_status(
        app.post_as(
            &user.token,
            "/api/v1/me/notifications/read",
            &json!({"ids": [item["id"]]}),
        )
        .await,
        200,
    )
    .await;
    let unread = stream.next_event().await;
    assert_eq!(unread.event, "unread");
    assert_eq!(unread.data, json!({"unread_notifications": 0}));
}

#[tokio::test]
async fn open_streams_are_limited_per_ip_and_per_reader() {
    let app = TestApp::spawn_with(|s| {
        s.streams.per_ip = 2;
        s.streams.per_user = 1;
    })
    .await;
    let t = thread(&app).await;
    let a = Sse::new(thread_stream(&app, &t.slug, None).await);
    let b = Sse::new(app.get_as(&t.user.token, "/api/v1/me/events").await);
    let problem = assert_problem(thread_stream(&app, &t.slug, None).await, 429).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    drop(a);
    // The slot comes back when the stream's connection closes.
    let deadline = Instant::now() + SOON;
    let c = loop {
        let response = thread_stream(&app, &t.slug, None).await;
        if response.status() == 200 {
            break Sse::new(response);
        }
        assert!(
            Instant::now() < deadline,
            "the closed stream's slot never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop((b, c));
    // One stream per reader on this instance, whichever way it authenticates (the limits are
    // counted per instance).
    let other = TestApp::spawn_with(|s| s.streams.per_user = 1).await;
    let reader = other.register("one_stream_reader").await;
    let _first = Sse::new(other.get_as(&reader.token, "/api/v1/me/events").await);
    assert_problem(other.get_as(&reader.token, "/api/v1/me/events").await, 429).await;
}

#[tokio::test]
async fn a_write_through_one_instance_reaches_a_stream_held_by_another() {
    let a = TestApp::spawn().await;
    let b = a.second_instance().await;
    let t = thread(&a).await;
    let mut on_b = Sse::new(thread_stream(&b, &t.slug, None).await);
    let id = a.comment_id(&t.user, &t.slug, "written on A", None).await;
    let (event, _) = on_b.until("comment_created").await;
    assert_eq!(event.data["id"], id);
    assert_eq!(event.data["body"], "written on A");
    // And the other way round, on a stream of A.
    let mut on_a = Sse::new(thread_stream(&a, &t.slug, None).await);
    let reply = b
        .comment_id(&t.user, &t.slug, "written on B", Some(id))
        .await;
    let (event, _) = on_a.until("comment_created").await;
    assert_eq!(event.data["id"], reply);
    assert_eq!(event.data["parent_id"], id);
}

#[tokio::test]
async fn a_graceful_shutdown_ends_open_streams_at_once() {
    let guard = crate::helpers::DatabaseGuard::fresh().await;
    let mut settings = crate::helpers::test_settings(&guard.name);
    settings.shutdown_timeout = Duration::from_secs(30);
    let app = hindsight::Application::build(settings, hindsight::Clock::system())
        .await
        .expect("builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let stopper = app.stopper();
    let running = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let admin_body = json_with_status(
        client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({"username": "stopper", "email": "stopper@example.com", "password": crate::helpers::STRONG_PASSWORD}))
            .send()
            .await
            .expect("register"),
        201,
    )
    .await;
    let user_id = admin_body["user"]["id"].as_i64().expect("id");
    let token = admin_body["access_token"].as_str().expect("token");
    let mut stream = Sse::new(
        client
            .get(format!("{base}/api/v1/me/events"))
            .bearer_auth(token)
            .send()
            .await
            .expect("stream"),
    );
    assert!(matches!(
        stream.next_block(SOON).await,
        Some(Block::Retry(_))
    ));
    let started = Instant::now();
    stopper.stop();
    stream.ends(Duration::from_secs(5)).await;
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the server stops without waiting out its 30 s timeout")
        .expect("joined")
        .expect("stopped cleanly");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(user_id > 0);
}

/// Sends `body` with `method` as `user`, expecting `status`; returns the JSON (null if none).
async fn act(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value, status: u16) {
    let response = app.send_json(method, path, Some(&user.token), &body).await;
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "{path}: {text}");
}

#[tokio::test]
async fn every_kind_of_thread_change_reaches_the_stream_as_a_reader_would_see_it_now() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let moderator = app.register_with_role("live_moderator", "moderator").await;
    let reader = app.register("live_forecaster").await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);

    let deadline = (app.clock.now() + chrono::Duration::days(30)).to_rfc3339();
    let posted = json_with_status(
        app.post_as(
            &t.user.token,
            &format!("/api/v1/articles/{}/comments", t.slug),
            &json!({"body": "My call.", "prediction": {
                "claim": "The bridge reopens before spring", "probability": 0.6,
                "resolves_at": deadline}}),
        )
        .await,
        201,
    )
    .await;
    let id = posted["id"].as_i64().expect("id");
    let prediction = posted["prediction"]["id"].as_i64().expect("prediction");
    let (created, _) = stream.until("comment_created").await;
    assert_eq!(
        created.data["prediction"]["claim"],
        "The bridge reopens before spring"
    );

    let comment = format!("/api/v1/comments/{id}");
    act(
        &app,
        &t.user,
        Method::PATCH,
        &comment,
        json!({"body": "My call, edited."}),
        200,
    )
    .await;
    let (edited, _) = stream.until("comment_edited").await;
    assert_eq!(edited.data["body"], "My call, edited.");
    assert!(edited.data["edited_at"].is_string());

    let forecast = format!("/api/v1/predictions/{prediction}/forecast");
    act(
        &app,
        &reader,
        Method::PUT,
        &forecast,
        json!({"probability": 0.2}),
        200,
    )
    .await;
    let (crowd, _) = stream.until("forecasts").await;
    let view = app
        .get_json(&format!("/api/v1/predictions/{prediction}"))
        .await;
    assert_eq!(crowd.data["prediction_id"], prediction);
    assert_eq!(crowd.data["comment_id"], id);
    assert_eq!(crowd.data["forecaster_count"], view["forecaster_count"]);
    assert_eq!(
        crowd.data["community_probability"],
        view["community_probability"]
    );

    act(
        &app,
        &reader,
        Method::PUT,
        &format!("{comment}/vote"),
        json!({"value": -1}),
        200,
    )
    .await;
    let (votes, _) = stream.until("votes").await;
    assert_eq!(
        votes.data,
        json!({"comment_id": id, "upvotes": 0, "downvotes": 1, "score": -1})
    );

    let pin = format!("{comment}/pin");
    act(
        &app,
        &moderator,
        Method::PUT,
        &pin,
        json!({"pinned": true}),
        200,
    )
    .await;
    let (pinned, _) = stream.until("comment_pinned").await;
    assert_eq!(pinned.data, json!({"comment_id": id, "pinned": true}));
    act(
        &app,
        &moderator,
        Method::PUT,
        &pin,
        json!({"pinned": false}),
        200,
    )
    .await;
    let (unpinned, _) = stream.until("comment_unpinned").await;
    assert_eq!(unpinned.data, json!({"comment_id": id, "pinned": false}));

    let lock = format!("/api/v1/articles/{}/lock", t.slug);
    act(
        &app,
        &moderator,
        Method::PUT,
        &lock,
        json!({"locked": true, "reason": "Cooling off"}),
        200,
    )
    .await;
    let (locked, _) = stream.until("thread_locked").await;
    assert_eq!(
        locked.data,
        json!({"locked": true, "reason": "Cooling off"})
    );
    act(
        &app,
        &moderator,
        Method::PUT,
        &lock,
        json!({"locked": false}),
        200,
    )
    .await;
    let (unlocked, _) = stream.until("thread_unlocked").await;
    assert_eq!(unlocked.data, json!({"locked": false, "reason": null}));

    let other = app
        .comment_id(&reader, &t.slug, "Something rude", None)
        .await;
    stream.until("comment_created").await;
    let removal = format!("/api/v1/comments/{other}/removal");
    act(
        &app,
        &moderator,
        Method::POST,
        &removal,
        json!({"reason": "Rude"}),
        200,
    )
    .await;
    let (removed, _) = stream.until("comment_removed").await;
    assert_eq!(removed.data["removed"], true);
    crate::helpers::assert_null(&removed.data, "body");
    crate::helpers::assert_null(&removed.data, "removal_reason");
    act(&app, &moderator, Method::DELETE, &removal, json!({}), 200).await;
    let (restored, _) = stream.until("comment_restored").await;
    assert_eq!(restored.data["body"], "Something rude");

    let resolution = format!("/api/v1/predictions/{prediction}/resolution");
    act(
        &app,
        &moderator,
        Method::POST,
        &resolution,
        json!({"outcome": "yes"}),
        200,
    )
    .await;
    let (resolved, _) = stream.until("prediction_resolved").await;
    assert_eq!(resolved.data["prediction_id"], prediction);
    assert_eq!(resolved.data["comment_id"], id);
    assert_eq!(resolved.data["outcome"], "yes");
    assert!(resolved.data["resolved_at"].is_string());

    act(
        &app,
        &reader,
        Method::DELETE,
        &format!("/api/v1/comments/{other}"),
        json!({}),
        204,
    )
    .await;
    let (deleted, _) = stream.until("comment_deleted").await;
    assert_eq!(deleted.data["id"], other);
    assert_eq!(deleted.data["deleted"], true);
    crate::helpers::assert_null(&deleted.data, "body");
}

#[tokio::test]
async fn a_replay_shows_a_comment_removed_since_as_removed_without_its_text() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let moderator = app
        .register_with_role("replay_moderator", "moderator")
        .await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);
    let anchor = app.comment_id(&t.user, &t.slug, "anchor", None).await;
    let (seen, _) = stream.until("comment_created").await;
    assert_eq!(seen.data["id"], anchor);
    drop(stream);
    let rude = app
        .comment_id(&t.user, &t.slug, "Something rude", None)
        .await;
    act(
        &app,
        &moderator,
        Method::POST,
        &format!("/api/v1/comments/{rude}/removal"),
        json!({"reason": "Rude"}),
        200,
    )
    .await;
    let last = seen.id.expect("id").to_string();
    let mut stream = Sse::new(thread_stream(&app, &t.slug, Some(&last)).await);
    let created = stream.next_event().await;
    assert_eq!(created.event, "comment_created");
    assert_eq!(created.data["id"], rude);
    assert_eq!(created.data["removed"], true);
    crate::helpers::assert_null(&created.data, "body");
    assert_eq!(stream.next_event().await.event, "comment_removed");
}

#[tokio::test]
async fn tickets_and_query_strings_of_streams_never_reach_the_logs() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let app = TestApp::spawn().await;
    let user = app.register("private_reader").await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .arg("serve")
        .env("DATABASE_URL", crate::helpers::database_url(&app.database))
        .env("HINDSIGHT_BIND", format!("127.0.0.1:{port}"))
        .env("HINDSIGHT_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // Drained as they are written, so a chatty log never blocks the server on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(started.elapsed() < Duration::from_secs(20), "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": user.username, "password": crate::helpers::STRONG_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["access_token"].as_str().expect("token").to_owned();
    let issued: Value = client
        .post(format!("{base}/api/v1/me/events/ticket"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    let ticket = issued["ticket"].as_str().expect("ticket").to_owned();
    let mut stream = Sse::new(
        client
            .get(format!(
                "{base}/api/v1/me/events?ticket={ticket}&last_event_id=0"
            ))
            .send()
            .await
            .expect("stream"),
    );
    assert!(matches!(
        stream.next_block(SOON).await,
        Some(Block::Retry(_))
    ));
    // A used ticket and a token in the query string are refused, and not logged either.
    let refused = client
        .get(format!(
            "{base}/api/v1/me/events?ticket={ticket}&access_token={token}"
        ))
        .send()
        .await
        .expect("refused");
    assert_eq!(refused.status(), 401);
    drop(stream);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("joined");
    let logs = format!(
        "{}{}",
        stdout.join().expect("stdout"),
        stderr.join().expect("stderr")
    );
    assert_eq!(exit.expect("exit").code(), Some(0));
    assert!(
        logs.contains("/api/v1/me/events"),
        "the access log has the route: {logs}"
    );
    assert!(!logs.contains(&ticket), "a ticket was logged");
    assert!(!logs.contains(&token), "an access token was logged");
    assert!(
        !logs.contains("ticket="),
        "a stream's query string was logged"
    );
}

#[tokio::test]
async fn the_hub_reconnects_its_listen_connection_and_delivers_what_was_written_meanwhile() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);
    let killed = app
        .count(
            "SELECT count(pg_terminate_backend(pid)) AS count FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'hindsight-events'",
        )
        .await;
    assert_eq!(killed, 1, "one listener connection per instance");
    let id = app
        .comment_id(&t.user, &t.slug, "while reconnecting", None)
        .await;
    let (event, _) = stream.until("comment_created").await;
    assert_eq!(event.data["id"], id);
    let deadline = Instant::now() + SOON;
    while app
        .count(
            "SELECT count(*) AS count FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'hindsight-events'",
        )
        .await
        != 1
    {
        assert!(Instant::now() < deadline, "the listener never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn retention_moves_the_horizon_that_replays_respect() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            app.comment_id(&t.user, &t.slug, &format!("c{n}"), None)
                .await,
        );
    }
    let events: Vec<i64> = {
        let newest = app.count("SELECT max(id) AS count FROM events").await;
        (newest - 3..=newest).collect()
    };
    // The first two are older than the retention; the others are recent.
    let mut conn = app.db().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE events SET created_at = now() - interval '2 days' WHERE id <= {}",
            events[1]
        )),
        &mut conn,
    )
    .await
    .expect("age");
    let keep = Duration::from_secs(48 * 3_600);
    let prune = hindsight::notifications::queries::jobs::prune_events;
    assert_eq!(prune(&mut conn, keep).await.expect("prune"), 2);
    assert_eq!(prune(&mut conn, keep).await.expect("again"), 0);
    assert_eq!(
        app.count("SELECT pruned_through AS count FROM event_log_state")
            .await,
        events[1]
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS count FROM events WHERE id <= {}",
            events[1]
        ))
        .await,
        0
    );
    let below = (events[1] - 1).to_string();
    let mut stream = Sse::new(thread_stream(&app, &t.slug, Some(&below)).await);
    assert_eq!(stream.next_event().await.data, json!({"reason": "pruned"}));
    let at = events[1].to_string();
    let mut stream = Sse::new(thread_stream(&app, &t.slug, Some(&at)).await);
    assert_eq!(stream.next_event().await.data["id"], ids[2]);
    assert_eq!(stream.next_event().await.data["id"], ids[3]);
}

/// Opens `user`'s own stream with the Authorization header, optionally after `last`.
async fn my_stream_as(app: &TestApp, user: &TestUser, last: Option<i64>) -> Sse {
    let mut request = app
        .request(Method::GET, "/api/v1/me/events")
        .bearer_auth(&user.token);
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last.to_string());
    }
    Sse::new(request.send().await.expect("request"))
}

#[tokio::test]
async fn a_429_for_the_ip_limit_leaves_the_ticket_usable_and_one_for_the_reader_limit_uses_it() {
    let app = TestApp::spawn_with(|s| {
        s.streams.per_ip = 1;
        s.streams.per_user = 1;
    })
    .await;
    let t = thread(&app).await;
    let holder = Sse::new(thread_stream(&app, &t.slug, None).await);
    let kept = ticket(&app, &t.user).await;
    let problem = assert_problem(my_stream(&app, &kept).await, 429).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    drop(holder);
    // The same ticket opens the stream once the IP's slot is back (the slot returns when the
    // closed stream's connection is noticed, hence the retries; each 429 kept the ticket).
    let deadline = Instant::now() + SOON;
    let mine = loop {
        let response = my_stream(&app, &kept).await;
        if response.status() == 200 {
            break Sse::new(response);
        }
        assert_eq!(response.status(), 429, "the ticket is still good");
        assert!(Instant::now() < deadline, "the IP's slot never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Redeemed by that open, not before (its row is deleted when it is redeemed).
    assert_eq!(
        app.count("SELECT count(*) AS count FROM stream_tickets")
            .await,
        0
    );
    drop(mine);

    // The reader limit needs the ticket's reader: that 429 has redeemed the ticket.
    let other = TestApp::spawn_with(|s| s.streams.per_user = 1).await;
    let reader = other.register("limited_reader").await;
    let _open = my_stream_as(&other, &reader, None).await;
    let spent = ticket(&other, &reader).await;
    assert_problem(my_stream(&other, &spent).await, 429).await;
    assert_problem(my_stream(&other, &spent).await, 401).await;
}

#[tokio::test]
async fn a_readers_stream_ends_once_the_access_token_lifetime_has_passed_since_it_opened() {
    let app = TestApp::spawn_with(|s| {
        s.access_token_ttl = Duration::from_secs(60);
        s.streams.heartbeat = Duration::from_millis(100);
    })
    .await;
    let t = thread(&app).await;
    let mut mine = my_stream_as(&app, &t.user, None).await;
    let mut thread = Sse::new(thread_stream(&app, &t.slug, None).await);
    // Heartbeats only while the stream may live.
    for stream in [&mut mine, &mut thread] {
        loop {
            match stream.next_block(SOON).await {
                Some(Block::Comment(_)) => break,
                Some(Block::Retry(_)) => {}
                other => panic!("a heartbeat was expected, got {other:?}"),
            }
        }
    }
    app.clock.advance(chrono::Duration::seconds(59));
    assert!(matches!(
        mine.next_block(SOON).await,
        Some(Block::Comment(_))
    ));
    // Its lifetime is over: the next heartbeat ends it instead of being sent.
    app.clock.advance(chrono::Duration::seconds(1));
    mine.ends(SOON).await;
    // An anonymous thread stream has no such lifetime.
    for _ in 0..2 {
        assert!(matches!(
            thread.next_block(SOON).await,
            Some(Block::Comment(_))
        ));
    }
    // A new stream (a new login, here) goes on.
    let user = app.login(&t.user).await;
    let mut again = my_stream_as(&app, &user, None).await;
    assert!(matches!(
        again.next_block(SOON).await,
        Some(Block::Retry(_))
    ));
    assert!(matches!(
        again.next_block(SOON).await,
        Some(Block::Comment(_))
    ));
}

#[tokio::test]
async fn deleting_an_article_sends_thread_deleted_and_ends_its_streams() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);
    let id = app.comment_id(&t.user, &t.slug, "before", None).await;
    let (created, _) = stream.until("comment_created").await;
    assert_eq!(created.data["id"], id);
    let path = format!("/api/v1/articles/{}", t.slug);
    act(&app, &t.admin, Method::DELETE, &path, json!({}), 204).await;
    let (deleted, skipped) = stream.until("thread_deleted").await;
    assert!(skipped.is_empty(), "nothing else came: {skipped:?}");
    assert!(deleted.id > created.id);
    assert_eq!(deleted.data, json!({"article_id": t.article.get()}));
    stream.ends(SOON).await;
    // Reconnecting (as EventSource does) is a 404, and a second delete appends nothing.
    let last = created.id.expect("id").to_string();
    assert_problem(thread_stream(&app, &t.slug, Some(&last)).await, 404).await;
    assert_problem(
        app.send_json(Method::DELETE, &path, Some(&t.admin.token), &json!({}))
            .await,
        404,
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS count FROM events WHERE kind = 'thread_deleted'")
            .await,
        1
    );
}

#[tokio::test]
async fn nothing_of_a_deleted_article_is_rendered_but_its_thread_deleted() {
    use hindsight::events::log::LoggedEvent;
    use hindsight::events::render::render;
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let deadline = (app.clock.now() + chrono::Duration::days(30)).to_rfc3339();
    let posted = json_with_status(
        app.post_as(
            &t.user.token,
            &format!("/api/v1/articles/{}/comments", t.slug),
            &json!({"body": "A call.", "prediction": {
                "claim": "It rains tomorrow", "probability": 0.6, "resolves_at": deadline}}),
        )
        .await,
        201,
    )
    .await;
    let comment = posted["id"].as_i64().expect("id");
    let prediction = posted["prediction"]["id"].as_i64().expect("prediction");
    let event = |id: i64, kind: EventKind| LoggedEvent {
        id,
        kind: kind.as_str().to_owned(),
        article_id: Some(t.article),
        user_id: None,
        comment_id: Some(comment),
        prediction_id: Some(prediction),
        notification_id: None,
    };
    let events: Vec<LoggedEvent> = [
        EventKind::CommentCreated,
        EventKind::Votes,
        EventKind::CommentPinned,
        EventKind::Forecasts,
        EventKind::PredictionResolved,
        EventKind::ThreadLocked,
    ]
    .into_iter()
    .enumerate()
    .map(|(n, kind)| event(n as i64 + 1, kind))
    .collect();
    let mut conn = app.db().await;
    let now = app.clock.now();
    let live = render(&mut conn, &events, now).await.expect("render");
    assert_eq!(
        live.len(),
        events.len(),
        "all render while the article lives"
    );
    let path = format!("/api/v1/articles/{}", t.slug);
    act(&app, &t.admin, Method::DELETE, &path, json!({}), 204).await;
    let gone = render(&mut conn, &events, now).await.expect("render");
    assert!(
        gone.is_empty(),
        "rendered for a deleted article: {:?}",
        gone.iter().map(|r| r.frame.clone()).collect::<Vec<_>>()
    );
    let end = render(&mut conn, &[event(9, EventKind::ThreadDeleted)], now)
        .await
        .expect("render");
    assert_eq!(end.len(), 1);
    assert!(end[0].ends_stream);
}

#[tokio::test]
async fn votes_between_two_runs_of_the_vote_job_make_one_event_with_the_final_counts() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let comment = app.comment_id(&t.user, &t.slug, "Vote on me", None).await;
    let mut stream = Sse::new(thread_stream(&app, &t.slug, None).await);
    // Hold the job's claim so that every vote lands in one window whatever the timing, then
    // let it run: one event, as the votes of one second get.
    let claim = |until: &'static str| {
        format!(
            "INSERT INTO job_runs (name, last_run_at) VALUES ('vote_events', now() {until}) \
             ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at"
        )
    };
    let mut conn = app.db().await;
    diesel_async::RunQueryDsl::execute(diesel::sql_query(claim("+ interval '1 hour'")), &mut conn)
        .await
        .expect("hold the claim");
    for (n, value) in [1, 1, -1, 1].into_iter().enumerate() {
        let voter = app.register(&format!("coalesced_{n}")).await;
        vote(&app, &voter, comment, value).await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS count FROM events WHERE kind = 'votes'")
            .await,
        0,
        "a vote writes no event itself"
    );
    diesel_async::RunQueryDsl::execute(diesel::sql_query(claim("- interval '1 hour'")), &mut conn)
        .await
        .expect("release the claim");
    let (votes, _) = stream.until("votes").await;
    assert_eq!(
        votes.data,
        json!({"comment_id": comment, "upvotes": 3, "downvotes": 1, "score": 2})
    );
    // No second one: the next event is the next write's.
    let next = app.comment_id(&t.user, &t.slug, "after", None).await;
    let after = stream.next_event().await;
    assert_eq!(
        (after.event.as_str(), &after.data["id"]),
        ("comment_created", &json!(next))
    );
    assert_eq!(
        app.count("SELECT count(*) AS count FROM events WHERE kind = 'votes'")
            .await,
        1
    );
}

/// The first item of `user`'s notification list.
async fn newest_notification(app: &TestApp, user: &TestUser) -> Value {
    json_with_status(
        app.get_as(&user.token, "/api/v1/me/notifications").await,
        200,
    )
    .await["items"][0]
        .clone()
}

#[tokio::test]
async fn a_readers_stream_replays_a_notification_missed_while_disconnected_then_goes_live() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let replier = app.register("replay_replier").await;
    let parent = app.comment_id(&t.user, &t.slug, "A question", None).await;
    let mut stream = my_stream_as(&app, &t.user, None).await;
    app.comment_id(&replier, &t.slug, "First answer", Some(parent))
        .await;
    let first = stream.next_event().await;
    assert_eq!(first.event, "notification");
    drop(stream);

    app.comment_id(&replier, &t.slug, "Missed answer", Some(parent))
        .await;
    let missed = newest_notification(&app, &t.user).await;
    let mut stream = my_stream_as(&app, &t.user, first.id).await;
    let replayed = stream.next_event().await;
    assert_eq!(replayed.event, "notification");
    assert!(replayed.id > first.id);
    assert_eq!(
        replayed.data,
        json!({"notification": missed, "unread_notifications": 2})
    );
    app.comment_id(&replier, &t.slug, "Live answer", Some(parent))
        .await;
    let live = stream.next_event().await;
    assert_eq!(live.event, "notification");
    assert!(live.id > replayed.id);
    assert_eq!(
        live.data["notification"],
        newest_notification(&app, &t.user).await
    );
    assert_eq!(live.data["unread_notifications"], 3);
}

#[tokio::test]
async fn a_replayed_notification_of_a_reply_deleted_since_carries_none_of_its_text() {
    let app = TestApp::spawn().await;
    let t = thread(&app).await;
    let replier = app.register("regretful_replier").await;
    let parent = app.comment_id(&t.user, &t.slug, "A question", None).await;
    let mut stream = my_stream_as(&app, &t.user, None).await;
    app.comment_id(&replier, &t.slug, "A harmless answer", Some(parent))
        .await;
    let anchor = stream.next_event().await;
    let secret = "Xylophones are overrated";
    let reply = app
        .comment_id(&replier, &t.slug, secret, Some(parent))
        .await;
    let live = stream.next_event().await;
    assert_eq!(live.event, "notification");
    assert!(
        live.data.to_string().contains(secret),
        "live, the snippet shows the reply: {}",
        live.data
    );
    drop(stream);
    act(
        &app,
        &replier,
        Method::DELETE,
        &format!("/api/v1/comments/{reply}"),
        json!({}),
        204,
    )
    .await;
    let mut stream = my_stream_as(&app, &t.user, anchor.id).await;
    let replayed = stream.next_event().await;
    assert_eq!(replayed.event, "notification");
    assert_eq!(replayed.id, live.id);
    assert!(
        !replayed.data.to_string().contains("Xylophone"),
        "the deleted reply's text was replayed: {}",
        replayed.data
    );
    assert_eq!(replayed.data["notification"]["comment"]["id"], reply);
    crate::helpers::assert_null(&replayed.data["notification"]["comment"], "snippet");
    assert_eq!(
        replayed.data["notification"],
        newest_notification(&app, &t.user).await
    );
}
