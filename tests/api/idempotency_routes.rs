//! `Idempotency-Key` on the other POSTs that create (issue 19): reports, report and
//! prediction resolutions, registration. A replay answers the first response and does
//! nothing again.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn post_keyed(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .request(Method::POST, path)
        .header("Idempotency-Key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

fn replayed(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

#[tokio::test]
async fn a_retried_report_files_one_report() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Reports", &[]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let id = app.comment_id(&alice, &slug, "Reported.", None).await;
    let path = format!("/api/v1/comments/{id}/reports");
    let body = json!({"reason": "Personal attack"});
    let first = post_keyed(&app, Some(&bob.token), &path, "rep", &body).await;
    assert!(!replayed(&first));
    let first = json_with_status(first, 201).await;
    let again = post_keyed(&app, Some(&bob.token), &path, "rep", &body).await;
    assert!(replayed(&again));
    assert_eq!(json_with_status(again, 201).await, first);
    assert_eq!(app.count("SELECT count(*) AS count FROM reports").await, 1);
    let other = json!({"reason": "Spam"});
    let problem = assert_problem(
        post_keyed(&app, Some(&bob.token), &path, "rep", &other).await,
        422,
    )
    .await;
    assert_eq!(
        problem["errors"][0]["field"], "Idempotency-Key",
        "{problem}"
    );
    // Without a key, a second report is the usual 409 (one open report per user).
    assert_problem(app.post_as(&bob.token, &path, &body).await, 409).await;
}

#[tokio::test]
async fn a_retried_prediction_resolution_resolves_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Resolutions", &[]).await;
    let author = app.register("author").await;
    let moderator = app.register_with_role("the_mod", "moderator").await;
    let resolves_at = (app.clock.now() + chrono::Duration::days(3)).to_rfc3339();
    let made = json_with_status(
        app.post_as(
            &author.token,
            &format!("/api/v1/articles/{slug}/comments"),
            &json!({"body": "My call.", "prediction": {
                "claim": "It happens", "probability": 0.6, "resolves_at": resolves_at
            }}),
        )
        .await,
        201,
    )
    .await;
    let id = made["prediction"]["id"].as_i64().expect("id");
    let path = format!("/api/v1/predictions/{id}/resolution");
    let body = json!({"outcome": "yes"});
    let first = json_with_status(
        post_keyed(&app, Some(&moderator.token), &path, "res", &body).await,
        200,
    )
    .await;
    let events = app.count("SELECT count(*) AS count FROM events").await;
    let notices = app
        .count("SELECT count(*) AS count FROM notifications")
        .await;
    let again = post_keyed(&app, Some(&moderator.token), &path, "res", &body).await;
    assert!(replayed(&again));
    assert_eq!(json_with_status(again, 200).await, first);
    assert_eq!(
        app.count("SELECT count(*) AS count FROM events").await,
        events
    );
    assert_eq!(
        app.count("SELECT count(*) AS count FROM notifications")
            .await,
        notices
    );
}

#[tokio::test]
async fn a_retried_registration_creates_one_account_and_answers_a_working_session() {
    let app = TestApp::spawn().await;
    let path = "/api/v1/auth/register";
    let body =
        json!({"username": "keyed", "email": "keyed@example.com", "password": STRONG_PASSWORD});
    let first = json_with_status(post_keyed(&app, None, path, "reg", &body).await, 201).await;
    let again = post_keyed(&app, None, path, "reg", &body).await;
    assert!(replayed(&again));
    let again = json_with_status(again, 201).await;
    assert_eq!(again["user"], first["user"]);
    let token = again["access_token"].as_str().expect("token");
    json_with_status(app.get_as(token, "/api/v1/me").await, 200).await;
    assert_eq!(
        app.count("SELECT count(*) AS count FROM users WHERE username = 'keyed'")
            .await,
        1
    );
    let stored = app
        .count("SELECT count(*) AS count FROM idempotency_keys WHERE position(convert_to($$refresh_token$$, 'UTF8') IN body) > 0")
        .await;
    assert_eq!(stored, 0, "no token is stored");
    let other =
        json!({"username": "keyed2", "email": "keyed2@example.com", "password": STRONG_PASSWORD});
    let problem = assert_problem(post_keyed(&app, None, path, "reg", &other).await, 422).await;
    assert_eq!(
        problem["errors"][0]["field"], "Idempotency-Key",
        "{problem}"
    );
}
