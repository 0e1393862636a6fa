//! The write path's budget (issue 19), measured with the `/metrics` counters of the app's
//! pool: statements sent (BEGIN and COMMIT included) and checkouts per request.

use crate::helpers::*;

/// The app's (statements, checkouts) totals, read from `/metrics`.
async fn db_totals(app: &TestApp) -> (u64, u64) {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    let read = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
    };
    (
        read("hindsight_db_statements_total"),
        read("hindsight_db_checkouts_total"),
    )
}

/// The cheapest of five runs of `post` (a background job may share the pool during one),
/// as (statements, checkouts).
async fn cost_of<F, Fut>(app: &TestApp, mut post: F) -> (u64, u64)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut best = (u64::MAX, u64::MAX);
    for attempt in 0..5 {
        let before = db_totals(app).await;
        post(attempt).await;
        let after = db_totals(app).await;
        let cost = (after.0 - before.0, after.1 - before.1);
        best = best.min(cost);
    }
    best
}

#[tokio::test]
async fn a_comment_costs_at_most_three_statements_and_one_checkout() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Budget", &[]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let parent = app.comment_id(&alice, &slug, "The parent.", None).await;
    let top = cost_of(&app, |i| {
        let (app, bob, slug) = (&app, &bob, &slug);
        async move {
            app.comment(bob, slug, &format!("Top-level {i}."), None)
                .await;
        }
    })
    .await;
    let reply = cost_of(&app, |i| {
        let (app, bob, slug) = (&app, &bob, &slug);
        async move {
            app.comment(bob, slug, &format!("Reply {i}."), Some(parent))
                .await;
        }
    })
    .await;
    eprintln!("top-level comment: {top:?}, reply: {reply:?} (statements, checkouts)");
    assert!(top.0 <= 3 && top.1 == 1, "top-level comment cost {top:?}");
    assert!(reply.0 <= 3 && reply.1 == 1, "reply cost {reply:?}");
}

#[tokio::test]
async fn a_forecast_costs_at_most_three_statements_and_one_checkout() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Budget", &[]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let resolves_at = (app.clock.now() + chrono::Duration::days(3)).to_rfc3339();
    let made = json_with_status(
        app.post_as(
            &alice.token,
            &format!("/api/v1/articles/{slug}/comments"),
            &serde_json::json!({"body": "My call.", "prediction": {
                "claim": "It happens", "probability": 0.6, "resolves_at": resolves_at
            }}),
        )
        .await,
        201,
    )
    .await;
    let id = made["prediction"]["id"].as_i64().expect("id");
    let cost = cost_of(&app, |i| {
        let (app, bob) = (&app, &bob);
        async move {
            let probability = 0.1 + 0.1 * f64::from(u32::try_from(i).unwrap_or(0));
            let answer = app
                .send_json(
                    reqwest::Method::PUT,
                    &format!("/api/v1/predictions/{id}/forecast"),
                    Some(&bob.token),
                    &serde_json::json!({ "probability": probability }),
                )
                .await;
            json_with_status(answer, 200).await;
        }
    })
    .await;
    eprintln!("forecast: {cost:?} (statements, checkouts)");
    assert!(cost.0 <= 3 && cost.1 == 1, "forecast cost {cost:?}");
    let stored = app
        .count("SELECT forecaster_count::bigint AS count FROM predictions")
        .await;
    assert_eq!(stored, 2, "the author's and bob's current forecasts");
    let history = app
        .count("SELECT count(*) AS count FROM forecast_history")
        .await;
    assert_eq!(history, 6, "the author's first and bob's five");
}

#[tokio::test]
async fn counters_are_exact_after_32_concurrent_writers() {
    let app = TestApp::spawn().await; // rate limits are off in tests
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Storm", &[]).await;
    let root = app.register("root_author").await;
    let top = app.comment_id(&root, &slug, "The root.", None).await;
    let child = app.comment_id(&root, &slug, "A child.", Some(top)).await;
    let mut writers = Vec::new();
    for i in 0..32 {
        writers.push(app.register(&format!("writer{i}")).await);
    }
    let path = format!("/api/v1/articles/{slug}/comments");
    let posts = writers.iter().enumerate().map(|(i, writer)| {
        let (app, path) = (&app, &path);
        async move {
            for n in 0..4 {
                let parent = match (i + n) % 3 {
                    0 => None,
                    1 => Some(top),
                    _ => Some(child),
                };
                let body =
                    serde_json::json!({"body": format!("Writer {i}, {n}."), "parent_id": parent});
                json_with_status(app.post_as(&writer.token, path, &body).await, 201).await;
            }
        }
    });
    futures_util::future::join_all(posts).await;
    let comments = app.count("SELECT count(*) AS count FROM comments").await;
    assert_eq!(comments, 2 + 32 * 4);
    let article = app
        .count("SELECT comment_count AS count FROM articles WHERE slug <> ''")
        .await;
    assert_eq!(article, comments);
    let wrong = app
        .count(
            "WITH d AS (SELECT unnest(path) AS id, count(*) AS n FROM comments GROUP BY 1),
                  r AS (SELECT parent_id AS id, count(*) AS n FROM comments
                        WHERE parent_id IS NOT NULL GROUP BY 1)
             SELECT count(*) AS count FROM comments c LEFT JOIN d USING (id) LEFT JOIN r USING (id)
             WHERE c.descendant_count <> coalesce(d.n, 0) OR c.reply_count <> coalesce(r.n, 0)",
        )
        .await;
    assert_eq!(wrong, 0, "reply and descendant counts equal a recount");
    let created = app
        .count("SELECT count(*) AS count FROM events WHERE kind = 'comment_created'")
        .await;
    assert_eq!(created, comments);
}

#[tokio::test]
async fn a_report_costs_two_statements_and_one_checkout() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Budget", &[]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.comment_id(&alice, &slug, &format!("Reportable {i}."), None)
                .await,
        );
    }
    let cost = cost_of(&app, |i| {
        let (app, bob, id) = (&app, &bob, ids[i]);
        async move {
            let path = format!("/api/v1/comments/{id}/reports");
            let body = serde_json::json!({"reason": "Spam"});
            json_with_status(app.post_as(&bob.token, &path, &body).await, 201).await;
        }
    })
    .await;
    eprintln!("report: {cost:?} (statements, checkouts)");
    assert!(cost.0 <= 2 && cost.1 == 1, "report cost {cost:?}");
    let counted = app
        .count("SELECT sum(open_report_count)::bigint AS count FROM comments")
        .await;
    assert_eq!(counted, 5);
}
