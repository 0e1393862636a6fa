//! The README's curl session, as a test: on `hindsight seed-demo` data, a new reader registers,
//! posts a prediction, reads the thread, votes, a demo reader forecasts, the demo moderator
//! resolves it and the reader's track record shows the score; then a report.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_readme_flow_works_on_the_demo_data() {
    let app = TestApp::spawn_with(|s| s.hot_refresh = std::time::Duration::ZERO).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .arg("seed-demo")
        .env("DATABASE_URL", database_url(&app.database))
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let slug = "xi-lee-summit-2026";

    // 1. Register.
    let me = json_with_status(
        app.post("/api/v1/auth/register", &json!({"username": "new_reader", "email": "new@example.com", "password": "harbour-lantern-quietly-9"})).await,
        201,
    )
    .await;
    let token = me["access_token"].as_str().expect("token").to_owned();
    // 2. Post a comment with a prediction.
    let resolves_at = (app.clock.now() + chrono::Duration::days(90)).to_rfc3339();
    let comment = json_with_status(
        app.post_as(&token, &format!("/api/v1/articles/{slug}/comments"), &json!({
            "body": "Trade talks restart, but slowly.",
            "prediction": {"claim": "Seoul and Beijing announce FTA upgrade talks within 90 days", "probability": 0.6, "resolves_at": resolves_at}
        })).await,
        201,
    )
    .await;
    let prediction = comment["prediction"]["id"].as_i64().expect("prediction id");
    // 3. Read the thread.
    let thread = app
        .get_json(&format!("/api/v1/articles/{slug}/comments?limit=100"))
        .await;
    assert!(ids(&thread["items"]).contains(&comment["id"].as_i64().expect("id")));
    // 4. Vote on a demo comment.
    let first_demo = thread["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["author"]["username"] == "daniel_demo")
        .and_then(|c| c["id"].as_i64())
        .expect("a demo comment");
    let vote = json_with_status(
        app.send_json(
            Method::PUT,
            &format!("/api/v1/comments/{first_demo}/vote"),
            Some(&token),
            &json!({"value": 1}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(vote["my_vote"], 1);
    // 5. A demo reader forecasts.
    let minji = json_with_status(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "minji_demo", "password": "demo-reader-camellia-42"}),
        )
        .await,
        200,
    )
    .await;
    let minji_token = minji["access_token"].as_str().expect("token");
    let forecast = json_with_status(
        app.send_json(
            Method::PUT,
            &format!("/api/v1/predictions/{prediction}/forecast"),
            Some(minji_token),
            &json!({"probability": 0.3}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(forecast["forecaster_count"], 2);
    // 6. The demo moderator resolves it.
    let moderator = json_with_status(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "demo_moderator", "password": "demo-moderator-lantern-42"}),
        )
        .await,
        200,
    )
    .await;
    let moderator_token = moderator["access_token"].as_str().expect("token");
    let resolved = json_with_status(
        app.post_as(
            moderator_token,
            &format!("/api/v1/predictions/{prediction}/resolution"),
            &json!({"outcome": "yes", "note": "Talks were announced."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(resolved["status"], "resolved");
    // 7. The track record shows the score: (0.6 - 1)^2 = 0.16.
    let record = app.get_json("/api/v1/users/new_reader/track-record").await;
    assert_eq!(record["scored_forecasts"], 1);
    assert!((record["mean_brier"].as_f64().expect("brier") - 0.16).abs() < 1e-9);
    // 8. Report a comment.
    json_with_status(
        app.post_as(
            &token,
            &format!("/api/v1/comments/{first_demo}/reports"),
            &json!({"reason": "Testing the report flow"}),
        )
        .await,
        201,
    )
    .await;
}
