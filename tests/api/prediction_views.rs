//! Prediction views through HTTP: history, SVG charts, leaderboards.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn predict(app: &TestApp, user: &TestUser, slug: &str, claim: &str, probability: f64) -> i64 {
    let body = json_with_status(
        app.post_as(
            &user.token,
            &format!("/api/v1/articles/{slug}/comments"),
            &json!({"body": "call", "prediction": {
            "claim": claim, "probability": probability,
            "resolves_at": (app.clock.now() + chrono::Duration::days(30)).to_rfc3339()}}),
        )
        .await,
        201,
    )
    .await;
    body["prediction"]["id"].as_i64().expect("id")
}

async fn forecast(app: &TestApp, user: &TestUser, id: i64, probability: f64) {
    json_with_status(
        app.send_json(
            Method::PUT,
            &format!("/api/v1/predictions/{id}/forecast"),
            Some(&user.token),
            &json!({"probability": probability}),
        )
        .await,
        200,
    )
    .await;
}

async fn resolve(app: &TestApp, moderator: &TestUser, id: i64, outcome: &str) {
    json_with_status(
        app.post_as(
            &moderator.token,
            &format!("/api/v1/predictions/{id}/resolution"),
            &json!({"outcome": outcome}),
        )
        .await,
        200,
    )
    .await;
}

#[tokio::test]
async fn history_has_one_point_per_change_with_the_median() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "History", &[]).await;
    let author = app.register("hist_author").await;
    let a = app.register("hist_a").await;
    let b = app.register("hist_b").await;
    let id = predict(&app, &author, &slug, "A claim with a history", 0.2).await;
    app.clock.advance(chrono::Duration::minutes(1));
    forecast(&app, &a, id, 0.6).await;
    app.clock.advance(chrono::Duration::minutes(1));
    forecast(&app, &b, id, 0.9).await;
    app.clock.advance(chrono::Duration::minutes(1));
    forecast(&app, &a, id, 0.1).await;
    let history = app
        .get_json(&format!("/api/v1/predictions/{id}/history"))
        .await;
    let points = history["points"].as_array().expect("points");
    let medians: Vec<f64> = points
        .iter()
        .map(|p| p["community_probability"].as_f64().expect("p"))
        .collect();
    assert_eq!(medians, vec![0.2, 0.4, 0.6, 0.2]);
    let counts: Vec<i64> = points
        .iter()
        .map(|p| p["forecasters"].as_i64().expect("n"))
        .collect();
    assert_eq!(counts, vec![1, 2, 3, 3]);
    assert!(points[1]["at"].as_str().expect("at") > points[0]["at"].as_str().expect("at"));
    assert_problem(app.get("/api/v1/predictions/999999/history").await, 404).await;
}

fn parse_svg(text: &str) -> roxmltree_lite::Document {
    roxmltree_lite::parse(text)
}

mod roxmltree_lite {
    //! Just enough of an XML well-formedness check for the charts: balanced tags, quoted
    //! attributes, known entities.
    pub struct Document {
        pub elements: Vec<(String, String)>,
    }

    pub fn parse(text: &str) -> Document {
        let mut stack: Vec<String> = Vec::new();
        let mut elements = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find('<') {
            let between = &rest[..start];
            for entity in between.split('&').skip(1) {
                assert!(
                    ["amp;", "lt;", "gt;", "quot;", "apos;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "bad entity in {between}"
                );
            }
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(
                    stack.pop().as_deref(),
                    Some(name.trim()),
                    "mismatched closing tag"
                );
            } else {
                let self_closing = tag.ends_with('/');
                let body = tag.trim_end_matches('/');
                let name = body.split_whitespace().next().expect("name").to_owned();
                assert_eq!(
                    body.matches('"').count() % 2,
                    0,
                    "unbalanced quotes in <{body}>"
                );
                elements.push((name.clone(), body.to_owned()));
                if !self_closing {
                    stack.push(name);
                }
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed elements: {stack:?}");
        Document { elements }
    }

    impl Document {
        pub fn count(&self, name: &str, class: &str) -> usize {
            self.elements
                .iter()
                .filter(|(n, body)| n == name && body.contains(&format!("class=\"{class}\"")))
                .count()
        }
    }
}

#[tokio::test]
async fn the_history_chart_is_cacheable_svg_with_its_marks() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let moderator = app.register_with_role("chart_mod", "moderator").await;
    let slug = app.create_article(&admin, "Charts", &[]).await;
    let author = app.register("chart_author").await;
    let other = app.register("chart_other").await;
    let id = predict(&app, &author, &slug, "Charted claim & more", 0.3).await;
    app.clock.advance(chrono::Duration::minutes(10));
    forecast(&app, &other, id, 0.8).await;
    let response = app
        .get(&format!("/api/v1/predictions/{id}/chart.svg"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert!(response.headers()["cache-control"]
        .to_str()
        .expect("ascii")
        .contains("max-age"));
    let text = response.text().await.expect("body");
    let doc = parse_svg(&text);
    assert_eq!(doc.count("path", "community"), 1);
    assert_eq!(doc.count("circle", "final-community"), 1);
    assert_eq!(doc.count("line", "author"), 1);
    assert_eq!(
        doc.count("rect", "outcome"),
        0,
        "no outcome before resolution"
    );
    assert!(text.contains("Author 30%") && text.contains("100%"));
    let date = app.clock.now().format("%Y-").to_string();
    assert!(text.contains(&date), "dates on the time axis");
    resolve(&app, &moderator, id, "no").await;
    let text = app
        .get(&format!("/api/v1/predictions/{id}/chart.svg"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(parse_svg(&text).count("rect", "outcome"), 1);
    assert!(text.contains("Resolved: no"));
}

#[tokio::test]
async fn the_calibration_chart_has_a_point_per_non_empty_bucket() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let moderator = app.register_with_role("cal_mod", "moderator").await;
    let slug = app.create_article(&admin, "Calibration", &[]).await;
    let author = app.register("cal_author").await;
    let forecaster = app.register("cal_forecaster").await;
    for (i, p) in [0.7, 0.72, 0.2].iter().enumerate() {
        let id = predict(&app, &author, &slug, &format!("Calibration claim {i}"), 0.5).await;
        forecast(&app, &forecaster, id, *p).await;
        resolve(&app, &moderator, id, if i == 2 { "no" } else { "yes" }).await;
    }
    let response = app
        .get("/api/v1/users/cal_forecaster/calibration.svg")
        .await;
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let text = response.text().await.expect("body");
    let doc = parse_svg(&text);
    assert_eq!(doc.count("circle", "bucket"), 2, "buckets 2 and 7");
    assert_eq!(doc.count("line", "diagonal"), 1);
    // Mean Brier: (0.09 + 0.0784 + 0.04) / 3 = 0.0695 (rounded to 0.069 or 0.070 by printing).
    assert!(
        text.contains("mean Brier 0.069") || text.contains("mean Brier 0.070"),
        "{text}"
    );
    let empty = app
        .get("/api/v1/users/cal_mod/calibration.svg")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(parse_svg(&empty).count("circle", "bucket"), 0);
    assert_problem(app.get("/api/v1/users/nobody/calibration.svg").await, 404).await;
}

#[tokio::test]
async fn leaderboards_rank_by_mean_brier_with_ties_scopes_and_minimums() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let moderator = app.register_with_role("lb_mod", "moderator").await;
    let korea = app.create_article(&admin, "Korea piece", &["korea"]).await;
    let japan = app.create_article(&admin, "Japan piece", &["japan"]).await;
    let author = app.register("lb_author").await;
    // Predictions all resolve yes. Forecasters: good (0.9), same_good (0.9, fewer), bad (0.3).
    let good = app.register("lb_good").await;
    let alsogood = app.register("lb_alsogood").await;
    let bad = app.register("lb_bad").await;
    let mut korea_ids = Vec::new();
    for i in 0..6 {
        korea_ids.push(
            predict(
                &app,
                &author,
                &korea,
                &format!("Korea claim number {i}"),
                0.5,
            )
            .await,
        );
    }
    let mut japan_ids = Vec::new();
    for i in 0..3 {
        japan_ids.push(
            predict(
                &app,
                &author,
                &japan,
                &format!("Japan claim number {i}"),
                0.5,
            )
            .await,
        );
    }
    for id in &korea_ids {
        forecast(&app, &good, *id, 0.9).await;
        forecast(&app, &bad, *id, 0.3).await;
    }
    for id in &korea_ids[..5] {
        forecast(&app, &alsogood, *id, 0.9).await;
    }
    for id in &japan_ids {
        forecast(&app, &bad, *id, 0.99).await;
    }
    for id in korea_ids.iter().chain(&japan_ids) {
        resolve(&app, &moderator, *id, "yes").await;
    }
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["user"]["username"].as_str().expect("name").to_owned())
            .collect()
    };
    let global = app.get_json("/api/v1/leaderboard").await;
    // good and alsogood tie on 0.01; good has more scored forecasts. author 0.25 (9), bad last.
    assert_eq!(
        names(&global),
        ["lb_good", "lb_alsogood", "lb_author", "lb_bad"]
    );
    let first = &global["items"][0];
    assert_eq!(first["scored_forecasts"], 6);
    assert!((first["mean_brier"].as_f64().expect("b") - 0.01).abs() < 1e-9);
    assert!(first["mean_relative_brier"].as_f64().expect("r") < 0.0);
    let strict = app.get_json("/api/v1/leaderboard?min_resolved=6").await;
    assert_eq!(names(&strict), ["lb_good", "lb_author", "lb_bad"]);
    let japan_board = app
        .get_json(&format!(
            "/api/v1/leaderboard?article={japan}&min_resolved=1"
        ))
        .await;
    assert_eq!(
        names(&japan_board),
        ["lb_bad", "lb_author"],
        "0.0001 beats 0.25 on Japan"
    );
    let by_tag = app
        .get_json("/api/v1/leaderboard?tag=korea&min_resolved=6")
        .await;
    assert_eq!(names(&by_tag), ["lb_good", "lb_author", "lb_bad"]);
    let paged = app.get_json("/api/v1/leaderboard?limit=2").await;
    assert_eq!(names(&paged), ["lb_good", "lb_alsogood"]);
    let cursor = paged["next_cursor"].as_str().expect("cursor");
    let rest = app
        .get_json(&format!("/api/v1/leaderboard?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(names(&rest), ["lb_author", "lb_bad"]);
    assert_problem(app.get("/api/v1/leaderboard?min_resolved=0").await, 422).await;
    assert_problem(app.get("/api/v1/leaderboard?article=nope").await, 404).await;
}

#[tokio::test]
async fn each_forecasters_score_is_listed_once_resolved_best_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Scores", &[]).await;
    let author = app.register("score_author").await;
    let good = app.register("score_good").await;
    let bad = app.register("score_bad").await;
    let moderator = app.register_with_role("score_mod", "moderator").await;
    let id = predict(&app, &author, &slug, "The bridge opens in June", 0.6).await;
    forecast(&app, &good, id, 0.9).await;
    forecast(&app, &bad, id, 0.2).await;
    let path = format!("/api/v1/predictions/{id}/scores");
    let open = app.get_json(&path).await;
    assert_eq!(open["items"], json!([]), "nothing scored while open");

    resolve(&app, &moderator, id, "yes").await;
    let page = app.get_json(&path).await;
    let rows: Vec<(String, f64, f64)> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["forecaster"]["username"]
                    .as_str()
                    .expect("name")
                    .to_owned(),
                r["probability"].as_f64().expect("p"),
                r["brier"].as_f64().expect("brier"),
            )
        })
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["score_good", "score_author", "score_bad"]);
    assert!((rows[0].1 - 0.9).abs() < 1e-9 && (rows[0].2 - 0.01).abs() < 1e-9);
    assert!((rows[2].2 - 0.64).abs() < 1e-9);
    assert!(
        page["items"][0]["relative_brier"]
            .as_f64()
            .expect("relative")
            < 0.0
    );

    let first = app.get_json(&format!("{path}?limit=2")).await;
    let cursor = first["next_cursor"].as_str().expect("more");
    let rest = app
        .get_json(&format!("{path}?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(rest["items"][0]["forecaster"]["username"], "score_bad");
    assert!(rest["next_cursor"].is_null());
    assert_problem(app.get("/api/v1/predictions/999999/scores").await, 404).await;
    let other = app.get(&format!("{path}?cursor=abc")).await;
    assert_problem(other, 422).await;
}
