//! `Idempotency-Key` (issue 19): a retry with the same key answers the first response and
//! creates nothing; another body under the key is a 422; keys expire after 24 hours, are
//! scoped per user, and concurrent duplicates create one row.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

/// POSTs `body` as `token` with `Idempotency-Key: key`.
async fn post_keyed(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.request(Method::POST, path)
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn comments(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS count FROM comments").await
}

#[tokio::test]
async fn a_retried_comment_answers_the_first_response_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Keys", &[]).await;
    let alice = app.register("alice").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    let body = json!({"body": "Once only."});
    let first = post_keyed(&app, &alice.token, &path, "k-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.expect("json");
    let again = post_keyed(&app, &alice.token, &path, "k-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.to_str().ok()),
        Some(Some("true"))
    );
    let again: Value = again.json().await.expect("json");
    assert_eq!(first, again);
    assert_eq!(comments(&app).await, 1);
    let article = app.get_json(&format!("/api/v1/articles/{slug}")).await;
    assert_eq!(article["comment_count"], 1, "{article}");
    // Another key is another comment.
    json_with_status(
        post_keyed(&app, &alice.token, &path, "k-2", &body).await,
        201,
    )
    .await;
    assert_eq!(comments(&app).await, 2);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422_naming_the_header() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Keys", &[]).await;
    let alice = app.register("alice").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    json_with_status(
        post_keyed(&app, &alice.token, &path, "k", &json!({"body": "One."})).await,
        201,
    )
    .await;
    let problem = assert_problem(
        post_keyed(&app, &alice.token, &path, "k", &json!({"body": "Two."})).await,
        422,
    )
    .await;
    assert_eq!(
        problem["errors"][0]["field"], "Idempotency-Key",
        "{problem}"
    );
    assert_eq!(comments(&app).await, 1);
    for bad in ["", &"x".repeat(256), "has space", "caf\u{e9}"] {
        let response = app
            .request(Method::POST, &path)
            .bearer_auth(&alice.token)
            .header("Idempotency-Key", bad.as_bytes())
            .json(&json!({"body": "Three."}))
            .send()
            .await
            .expect("request");
        let problem = assert_problem(response, 422).await;
        assert_eq!(
            problem["errors"][0]["field"], "Idempotency-Key",
            "{bad:?}: {problem}"
        );
    }
    assert_eq!(comments(&app).await, 1);
}

#[tokio::test]
async fn keys_expire_after_24_hours_and_are_pruned() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Keys", &[]).await;
    let alice = app.register("alice").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    let body = json!({"body": "Daily."});
    json_with_status(
        post_keyed(&app, &alice.token, &path, "day", &body).await,
        201,
    )
    .await;
    app.clock.advance(chrono::Duration::hours(23));
    let alice = app.login(&alice).await;
    let replay = post_keyed(&app, &alice.token, &path, "day", &body).await;
    assert!(replay.headers().get("idempotent-replayed").is_some());
    assert_eq!(comments(&app).await, 1);
    app.clock.advance(chrono::Duration::hours(2));
    let alice = app.login(&alice).await;
    let fresh = post_keyed(&app, &alice.token, &path, "day", &body).await;
    assert_eq!(fresh.status(), 201);
    assert!(fresh.headers().get("idempotent-replayed").is_none());
    assert_eq!(comments(&app).await, 2);
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(
        app.count("SELECT count(*) AS count FROM idempotency_keys")
            .await,
        1
    );
    let keep = hindsight::notifications::jobs::Retention {
        notifications: std::time::Duration::from_secs(90 * 86_400),
        events: std::time::Duration::from_secs(48 * 3_600),
    };
    let mut conn = app.db().await;
    let ran = hindsight::notifications::jobs::prune(
        &mut conn,
        std::time::Duration::from_millis(1),
        keep,
        app.clock.now(),
    )
    .await
    .expect("prune");
    assert!(ran);
    assert_eq!(
        app.count("SELECT count(*) AS count FROM idempotency_keys")
            .await,
        0
    );
}

#[tokio::test]
async fn keys_are_scoped_per_user() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Keys", &[]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    let body = json!({"body": "Same words."});
    let a = json_with_status(
        post_keyed(&app, &alice.token, &path, "same", &body).await,
        201,
    )
    .await;
    let b = json_with_status(
        post_keyed(&app, &bob.token, &path, "same", &body).await,
        201,
    )
    .await;
    assert_ne!(a["id"], b["id"]);
    assert_eq!(b["author"]["username"], "bob", "{b}");
    assert_eq!(comments(&app).await, 2);
}

#[tokio::test]
async fn concurrent_duplicates_create_one_comment() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Keys", &[]).await;
    let alice = app.register("alice").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    let body = json!({"body": "Racing."});
    let sends = (0..8).map(|_| post_keyed(&app, &alice.token, &path, "race", &body));
    let answers = futures_util::future::join_all(sends).await;
    let mut ids = Vec::new();
    for answer in answers {
        ids.push(json_with_status(answer, 201).await["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(comments(&app).await, 1);
}

#[tokio::test]
async fn a_refused_request_keeps_no_key() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Keys", &[]).await;
    let alice = app.register("alice").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    let body = json!({"body": "Reply.", "parent_id": 999_999});
    assert_problem(post_keyed(&app, &alice.token, &path, "r", &body).await, 422).await;
    assert_eq!(
        app.count("SELECT count(*) AS count FROM idempotency_keys")
            .await,
        0
    );
}
