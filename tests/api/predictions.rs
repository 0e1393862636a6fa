//! Predictions through HTTP: making, forecasting, resolving, scoring, reading.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

struct World {
    app: TestApp,
    slug: String,
    author: TestUser,
    reader: TestUser,
    moderator: TestUser,
    admin: TestUser,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Predictions", &["korea"]).await;
    let author = app.register("forecaster_a").await;
    let reader = app.register("forecaster_b").await;
    let moderator = app.register_with_role("the_mod", "moderator").await;
    World {
        app,
        slug,
        author,
        reader,
        moderator,
        admin,
    }
}

fn in_days(app: &TestApp, days: i64) -> String {
    (app.clock.now() + chrono::Duration::days(days)).to_rfc3339()
}

impl World {
    async fn predict(&self, user: &TestUser, claim: &str, probability: f64, days: i64) -> Value {
        json_with_status(
            self.app
                .post_as(
                    &user.token,
                    &format!("/api/v1/articles/{}/comments", self.slug),
                    &json!({"body": "My call.", "prediction": {
                        "claim": claim, "probability": probability,
                        "resolves_at": in_days(&self.app, days), "criteria": "Official statements."
                    }}),
                )
                .await,
            201,
        )
        .await
    }

    async fn forecast(&self, user: &TestUser, id: i64, probability: f64) -> reqwest::Response {
        self.app
            .send_json(
                Method::PUT,
                &format!("/api/v1/predictions/{id}/forecast"),
                Some(&user.token),
                &json!({"probability": probability}),
            )
            .await
    }

    async fn resolve(&self, user: &TestUser, id: i64, body: Value) -> reqwest::Response {
        self.app
            .post_as(
                &user.token,
                &format!("/api/v1/predictions/{id}/resolution"),
                &body,
            )
            .await
    }
}

#[tokio::test]
async fn a_comment_can_carry_a_prediction() {
    let w = world().await;
    let comment = w
        .predict(
            &w.author,
            "Seoul and Beijing sign an upgraded FTA before 2028",
            0.57,
            30,
        )
        .await;
    let p = &comment["prediction"];
    assert_eq!(
        p["claim"],
        "Seoul and Beijing sign an upgraded FTA before 2028"
    );
    assert_eq!(p["criteria"], "Official statements.");
    assert_eq!(p["status"], "open");
    assert_null(p, "outcome");
    assert_eq!(p["author_probability"], 0.57);
    assert_eq!(p["community_probability"], 0.57);
    assert_eq!(p["forecaster_count"], 1);
    assert_eq!(p["my_probability"], 0.57);
    for field in [
        "id",
        "resolves_at",
        "resolved_at",
        "resolution_note",
        "evidence_url",
    ] {
        assert!(p.get(field).is_some(), "{field}");
    }
    let plain = w
        .app
        .comment(&w.author, &w.slug, "no prediction", None)
        .await;
    assert_null(&plain, "prediction");
    // In the thread, anonymously: no my_probability.
    let thread = w
        .app
        .get_json(&format!("/api/v1/articles/{}/comments?sort=old", w.slug))
        .await;
    assert_null(&thread["items"][0]["prediction"], "my_probability");
    assert_eq!(thread["items"][0]["prediction"]["author_probability"], 0.57);
}

#[tokio::test]
async fn probabilities_accept_float_noise_but_not_fractions_of_a_percent() {
    let w = world().await;
    let noisy = w
        .predict(
            &w.author,
            "A claim with float noise in it",
            0.570_000_000_000_000_1,
            30,
        )
        .await;
    assert_eq!(noisy["prediction"]["author_probability"], 0.57);
    let path = format!("/api/v1/articles/{}/comments", w.slug);
    let problem = assert_problem(
        w.app.post_as(&w.author.token, &path, &json!({"body": "b", "prediction": {
            "claim": "A claim that is long enough", "probability": 0.575, "resolves_at": in_days(&w.app, 30)}})).await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&problem),
        vec![("prediction.probability".into(), "invalid_format".into())]
    );
    assert_eq!(
        w.app
            .count("SELECT count(*) AS count FROM predictions")
            .await,
        1
    );
}

#[tokio::test]
async fn every_prediction_rule_names_its_field_and_stores_nothing() {
    let w = world().await;
    let path = format!("/api/v1/articles/{}/comments", w.slug);
    let now = w.app.clock.now();
    let cases = [
        (
            json!({"claim": "too short", "probability": 0.5, "resolves_at": in_days(&w.app, 5)}),
            "prediction.claim",
            "too_short",
        ),
        (
            json!({"claim": "x".repeat(281), "probability": 0.5, "resolves_at": in_days(&w.app, 5)}),
            "prediction.claim",
            "too_long",
        ),
        (
            json!({"claim": "A long enough claim", "probability": 1.0, "resolves_at": in_days(&w.app, 5)}),
            "prediction.probability",
            "out_of_range",
        ),
        (
            json!({"claim": "A long enough claim", "probability": 0.0, "resolves_at": in_days(&w.app, 5)}),
            "prediction.probability",
            "out_of_range",
        ),
        (
            json!({"claim": "A long enough claim", "probability": 0.5, "resolves_at": (now + chrono::Duration::minutes(59)).to_rfc3339()}),
            "prediction.resolves_at",
            "too_soon",
        ),
        (
            json!({"claim": "A long enough claim", "probability": 0.5, "resolves_at": in_days(&w.app, 3_700)}),
            "prediction.resolves_at",
            "too_late",
        ),
        (
            json!({"claim": "A long enough claim", "probability": 0.5, "resolves_at": in_days(&w.app, 5), "criteria": "c".repeat(1001)}),
            "prediction.criteria",
            "too_long",
        ),
        (
            json!({"claim": "A long enough claim", "probability": 0.5, "resolves_at": "next week"}),
            "prediction.resolves_at",
            "invalid_format",
        ),
        (
            json!({"probability": 0.5, "resolves_at": in_days(&w.app, 5)}),
            "prediction.claim",
            "required",
        ),
    ];
    for (prediction, field, code) in cases {
        let problem = assert_problem(
            w.app
                .post_as(
                    &w.author.token,
                    &path,
                    &json!({"body": "b", "prediction": prediction}),
                )
                .await,
            422,
        )
        .await;
        assert!(
            problem_fields(&problem).contains(&(field.to_owned(), code.to_owned())),
            "{prediction} -> {problem}"
        );
    }
    assert_eq!(
        w.app.count("SELECT count(*) AS count FROM comments").await,
        0
    );
    assert_eq!(
        w.app
            .count("SELECT count(*) AS count FROM predictions")
            .await,
        0
    );
}

#[tokio::test]
async fn forecasts_update_the_crowd_and_stop_at_the_deadline() {
    let w = world().await;
    let comment = w
        .predict(&w.author, "Tourist visas are waived by June", 0.1, 2)
        .await;
    let id = comment["prediction"]["id"].as_i64().expect("id");
    let after = json_with_status(w.forecast(&w.reader, id, 0.4).await, 200).await;
    assert_eq!(after["forecaster_count"], 2);
    assert_eq!(
        after["community_probability"], 0.25,
        "median of 0.1 and 0.4"
    );
    assert_eq!(after["my_probability"], 0.4);
    let third = w.app.register("third_person").await;
    let after = json_with_status(w.forecast(&third, id, 0.7).await, 200).await;
    assert_eq!(after["community_probability"], 0.4, "median of three");
    let updated = json_with_status(w.forecast(&w.reader, id, 0.9).await, 200).await;
    assert_eq!(updated["forecaster_count"], 3);
    assert_eq!(updated["community_probability"], 0.7);
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT count(*) AS count FROM forecast_history WHERE prediction_id = {id}"
            ))
            .await,
        4
    );
    assert_problem(w.forecast(&w.reader, id, 0.333).await, 422).await;
    assert_problem(
        w.app
            .send_json(
                Method::PUT,
                &format!("/api/v1/predictions/{id}/forecast"),
                None,
                &json!({"probability": 0.5}),
            )
            .await,
        401,
    )
    .await;
    assert_problem(w.forecast(&w.reader, 999_999, 0.5).await, 404).await;

    w.app.clock.advance(chrono::Duration::days(2));
    let reader = w.app.login(&w.reader).await;
    let problem = assert_problem(w.forecast(&reader, id, 0.5).await, 409).await;
    assert_eq!(problem["type"], "/problems/prediction-closed");
    let detail = w.app.get_json(&format!("/api/v1/predictions/{id}")).await;
    assert_eq!(detail["status"], "closed");
}

#[tokio::test]
async fn only_moderators_resolve_and_never_their_own_prediction() {
    let w = world().await;
    let mine = w
        .predict(&w.moderator, "The moderator predicts something", 0.5, 10)
        .await;
    let theirs = w
        .predict(&w.author, "The author predicts something", 0.5, 10)
        .await;
    let (mine, theirs) = (
        mine["prediction"]["id"].as_i64().expect("id"),
        theirs["prediction"]["id"].as_i64().expect("id"),
    );
    assert_problem(
        w.app
            .post(
                &format!("/api/v1/predictions/{theirs}/resolution"),
                &json!({"outcome": "yes"}),
            )
            .await,
        401,
    )
    .await;
    assert_problem(
        w.resolve(&w.reader, theirs, json!({"outcome": "yes"}))
            .await,
        403,
    )
    .await;
    assert_problem(
        w.resolve(&w.author, theirs, json!({"outcome": "yes"}))
            .await,
        403,
    )
    .await;
    assert_problem(
        w.resolve(&w.moderator, mine, json!({"outcome": "yes"}))
            .await,
        403,
    )
    .await;
    let problem = assert_problem(
        w.resolve(&w.moderator, theirs, json!({"outcome": "maybe"}))
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem)[0].0, "outcome");
    let bad_url = assert_problem(
        w.resolve(
            &w.moderator,
            theirs,
            json!({"outcome": "yes", "evidence_url": "javascript:alert(1)"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&bad_url)[0].0, "evidence_url");
    assert_eq!(
        w.app
            .count("SELECT count(*) AS count FROM mod_actions")
            .await,
        0
    );

    // Early resolution closes forecasting at once.
    let resolved = json_with_status(
        w.resolve(&w.moderator, theirs, json!({"outcome": "yes", "note": "Announced early.", "evidence_url": "https://example.com/news"})).await,
        200,
    )
    .await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["outcome"], "yes");
    assert_eq!(resolved["resolution_note"], "Announced early.");
    assert_eq!(resolved["evidence_url"], "https://example.com/news");
    assert_problem(w.forecast(&w.reader, theirs, 0.5).await, 409).await;
    assert_eq!(
        w.app
            .count("SELECT count(*) AS count FROM mod_actions WHERE action = 'resolve_prediction'")
            .await,
        1
    );

    // Re-resolution: admins only, with a note.
    assert_problem(
        w.resolve(
            &w.moderator,
            theirs,
            json!({"outcome": "no", "note": "Oops"}),
        )
        .await,
        403,
    )
    .await;
    let problem = assert_problem(
        w.resolve(&w.admin, theirs, json!({"outcome": "no"})).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem)[0].0, "note");
    let re = json_with_status(
        w.resolve(
            &w.admin,
            theirs,
            json!({"outcome": "void", "note": "The source was retracted."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(re["status"], "void");
    assert_null(&re, "outcome");
}

async fn track(app: &TestApp, username: &str) -> Value {
    app.get_json(&format!("/api/v1/users/{username}/track-record"))
        .await
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[tokio::test]
async fn scores_calibration_and_relative_brier_match_hand_computed_values() {
    let w = world().await;
    // Ten predictions by the author at 0.5; the reader says 0.7 on each; 7 come true.
    let mut ids = Vec::new();
    for i in 0..10 {
        let comment = w
            .predict(&w.author, &format!("Numbered claim number {i}"), 0.5, 30)
            .await;
        let id = comment["prediction"]["id"].as_i64().expect("id");
        json_with_status(w.forecast(&w.reader, id, 0.7).await, 200).await;
        ids.push(id);
    }
    for (i, id) in ids.iter().enumerate() {
        let outcome = if i < 7 { "yes" } else { "no" };
        json_with_status(
            w.resolve(&w.moderator, *id, json!({"outcome": outcome}))
                .await,
            200,
        )
        .await;
    }
    let reader = track(&w.app, "forecaster_b").await;
    assert_eq!(reader["scored_forecasts"], 10);
    // Brier: 7 × 0.09 + 3 × 0.49 = 2.1 over 10. Crowd (median 0.6): 7 × 0.16 + 3 × 0.36 = 2.2.
    assert!(close(&reader["mean_brier"], 0.21), "{reader}");
    assert!(close(&reader["mean_relative_brier"], -0.01), "{reader}");
    let buckets = reader["calibration"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 10);
    assert_eq!(buckets[7]["forecasts"], 10);
    assert!(close(&buckets[7]["observed_frequency"], 0.7));
    assert!(close(&buckets[7]["mean_probability"], 0.7));
    assert!(close(&buckets[7]["from"], 0.7) && close(&buckets[7]["to"], 0.8));
    assert_null(&buckets[6], "observed_frequency");

    let author = track(&w.app, "forecaster_a").await;
    assert_eq!(author["predictions_authored"], 10);
    assert_eq!(author["predictions_came_true"], 7);
    assert!(close(&author["mean_brier"], 0.25));
    assert!(close(&author["mean_relative_brier"], 0.03));
    assert!(close(&author["calibration"][5]["observed_frequency"], 0.7));

    let nobody = track(&w.app, "the_mod").await;
    assert_eq!(nobody["scored_forecasts"], 0);
    assert_null(&nobody, "mean_brier");

    // The thread shows the author's record once five forecasts are scored.
    let thread = w
        .app
        .get_json(&format!("/api/v1/articles/{}/comments", w.slug))
        .await;
    let record = &thread["items"][0]["author"]["track_record"];
    assert_eq!(record["scored_forecasts"], 10);
    assert!(close(&record["mean_brier"], 0.25));

    // Re-resolving one "yes" as "no" recomputes: the reader now has 6 of 10 true at 0.7.
    json_with_status(
        w.resolve(
            &w.admin,
            ids[0],
            json!({"outcome": "no", "note": "Misread the source."}),
        )
        .await,
        200,
    )
    .await;
    let reader = track(&w.app, "forecaster_b").await;
    assert_eq!(reader["scored_forecasts"], 10);
    assert!(close(&reader["calibration"][7]["observed_frequency"], 0.6));
    // 6 × 0.09 + 4 × 0.49 = 2.5 over 10.
    assert!(close(&reader["mean_brier"], 0.25), "{reader}");
    // Voiding removes the scores altogether.
    json_with_status(
        w.resolve(
            &w.admin,
            ids[1],
            json!({"outcome": "void", "note": "Claim was ambiguous."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(track(&w.app, "forecaster_b").await["scored_forecasts"], 9);
}

#[tokio::test]
async fn the_last_forecast_before_closing_is_the_one_scored() {
    let w = world().await;
    let comment = w
        .predict(&w.author, "A claim scored at its deadline", 0.2, 1)
        .await;
    let id = comment["prediction"]["id"].as_i64().expect("id");
    json_with_status(w.forecast(&w.reader, id, 0.3).await, 200).await;
    json_with_status(w.forecast(&w.reader, id, 0.9).await, 200).await;
    w.app.clock.advance(chrono::Duration::days(3));
    let moderator = w.app.login(&w.moderator).await;
    json_with_status(
        w.resolve(&moderator, id, json!({"outcome": "yes"})).await,
        200,
    )
    .await;
    let reader = track(&w.app, "forecaster_b").await;
    assert!(close(&reader["mean_brier"], 0.01), "(0.9 - 1)^2: {reader}");
    // Crowd median of 0.2 and 0.9 is 0.55: community Brier 0.2025, relative 0.01 - 0.2025.
    assert!(
        close(&reader["mean_relative_brier"], 0.01 - 0.2025),
        "{reader}"
    );
}

#[tokio::test]
async fn one_prediction_reads_with_comment_article_and_histogram() {
    let w = world().await;
    let comment = w
        .predict(&w.author, "A claim for the histogram view", 0.7, 10)
        .await;
    let id = comment["prediction"]["id"].as_i64().expect("id");
    for (i, p) in [0.75, 0.99, 0.05].iter().enumerate() {
        let user = w.app.register(&format!("hist_user_{i}")).await;
        json_with_status(w.forecast(&user, id, *p).await, 200).await;
    }
    let detail = w.app.get_json(&format!("/api/v1/predictions/{id}")).await;
    assert_eq!(detail["histogram"], json!([1, 0, 0, 0, 0, 0, 0, 2, 0, 1]));
    assert_eq!(detail["article"]["slug"], w.slug.as_str());
    assert_eq!(detail["comment"]["id"], comment["id"]);
    assert_eq!(detail["claim"], "A claim for the histogram view");
    assert_eq!(detail["community_probability"], 0.725);
    assert_problem(w.app.get("/api/v1/predictions/999999").await, 404).await;
}

#[tokio::test]
async fn predictions_list_by_status_article_author_and_sort() {
    let w = world().await;
    let soon = w
        .predict(&w.author, "Closes first of them all", 0.5, 1)
        .await["prediction"]["id"]
        .as_i64()
        .expect("id");
    let later = w
        .predict(&w.reader, "Closes later than the first", 0.5, 20)
        .await["prediction"]["id"]
        .as_i64()
        .expect("id");
    let popular = w
        .predict(&w.author, "Draws the most forecasters", 0.5, 40)
        .await["prediction"]["id"]
        .as_i64()
        .expect("id");
    for i in 0..2 {
        let user = w.app.register(&format!("crowd_user_{i}")).await;
        json_with_status(w.forecast(&user, popular, 0.6).await, 200).await;
    }
    let list = |query: &str| {
        let path = format!("/api/v1/predictions?{query}");
        let app = &w.app;
        async move { app.get_json(&path).await }
    };
    let pids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(
        pids(&list("sort=closing_soon").await),
        vec![soon, later, popular]
    );
    assert_eq!(
        pids(&list("").await),
        vec![popular, later, soon],
        "newest by default"
    );
    assert_eq!(
        pids(&list("sort=most_forecasts&limit=1").await),
        vec![popular]
    );
    assert_eq!(pids(&list("author=FORECASTER_B").await), vec![later]);
    assert_eq!(pids(&list(&format!("article={}", w.slug)).await).len(), 3);
    let item = &list("sort=closing_soon&limit=1").await["items"][0];
    assert_eq!(item["article"]["slug"], w.slug.as_str());
    assert_eq!(item["author"]["username"], "forecaster_a");
    assert!(item["comment_id"].is_i64());
    // Paging.
    let first = list("sort=closing_soon&limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("cursor").to_owned();
    assert_eq!(
        pids(&list(&format!("sort=closing_soon&limit=2&cursor={cursor}")).await),
        vec![popular]
    );
    // The resolution queue: past the deadline, unresolved.
    w.app.clock.advance(chrono::Duration::days(2));
    assert_eq!(pids(&list("status=closed").await), vec![soon]);
    assert_eq!(
        pids(&list("status=open&sort=closing_soon").await),
        vec![later, popular]
    );
    let moderator = w.app.login(&w.moderator).await;
    json_with_status(
        w.resolve(&moderator, soon, json!({"outcome": "no"})).await,
        200,
    )
    .await;
    assert_eq!(pids(&list("status=closed").await), Vec::<i64>::new());
    assert_eq!(pids(&list("status=resolved").await), vec![soon]);
    assert_problem(w.app.get("/api/v1/predictions?status=maybe").await, 422).await;
}

#[tokio::test]
async fn authors_edit_terms_until_someone_else_forecasts() {
    let w = world().await;
    let comment = w
        .predict(&w.author, "The original wording of it", 0.4, 10)
        .await;
    let id = comment["id"].as_i64().expect("id");
    let patch = |user: &TestUser, body: Value| {
        let path = format!("/api/v1/comments/{id}");
        let (app, token) = (&w.app, user.token.clone());
        async move {
            app.send_json(Method::PATCH, &path, Some(&token), &body)
                .await
        }
    };
    let edited = json_with_status(
        patch(
            &w.author,
            json!({"prediction": {"claim": "The improved wording of it", "criteria": null}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["prediction"]["claim"], "The improved wording of it");
    assert_null(&edited["prediction"], "criteria");
    let history = json_with_status(
        w.app
            .get_as(&w.author.token, &format!("/api/v1/comments/{id}/edits"))
            .await,
        200,
    )
    .await;
    assert_eq!(history["items"][0]["claim"], "The original wording of it");
    assert_eq!(history["items"][0]["criteria"], "Official statements.");
    let problem = assert_problem(
        patch(&w.author, json!({"prediction": {"claim": "short"}})).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem)[0].0, "prediction.claim");
    let pid = edited["prediction"]["id"].as_i64().expect("id");
    json_with_status(w.forecast(&w.reader, pid, 0.8).await, 200).await;
    assert_problem(
        patch(
            &w.author,
            json!({"prediction": {"claim": "Too late to change this"}}),
        )
        .await,
        409,
    )
    .await;
    // The body can still be edited.
    json_with_status(
        patch(&w.author, json!({"body": "Clarified my reasoning."})).await,
        200,
    )
    .await;
    let plain = w
        .app
        .comment_id(&w.author, &w.slug, "no prediction here", None)
        .await;
    let problem = assert_problem(
        w.app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/comments/{plain}"),
                Some(&w.author.token),
                &json!({"prediction": {"claim": "Adding one now is refused"}}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem)[0].0, "prediction");
}

#[tokio::test]
async fn a_deleted_comment_keeps_its_prediction_visible_but_closed_to_forecasts() {
    let w = world().await;
    let comment = w
        .predict(&w.author, "Visible after deletion too", 0.4, 10)
        .await;
    let id = comment["id"].as_i64().expect("id");
    w.app
        .comment(&w.reader, &w.slug, "reply keeps it listed", Some(id))
        .await;
    w.app
        .request(Method::DELETE, &format!("/api/v1/comments/{id}"))
        .bearer_auth(&w.author.token)
        .send()
        .await
        .expect("request");
    let placeholder = w.app.get_json(&format!("/api/v1/comments/{id}")).await;
    assert_eq!(placeholder["deleted"], true);
    assert_null(&placeholder, "body");
    assert_eq!(
        placeholder["prediction"]["claim"],
        "Visible after deletion too"
    );
    // It stays readable (others forecast on it), but takes no more forecasts.
    let pid = placeholder["prediction"]["id"].as_i64().expect("id");
    let problem = assert_problem(w.forecast(&w.reader, pid, 0.5).await, 409).await;
    assert_eq!(problem["type"], "/problems/prediction-hidden");
}
