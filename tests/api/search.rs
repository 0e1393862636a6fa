//! Full-text search through HTTP: ranked hits with escaped, highlighted snippets; nothing
//! deleted, removed or of a deleted article; filters, paging, web-search syntax; predictions by
//! status; the search language.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, json_with_status, problem_fields, test_settings, TestApp, TestUser,
};

async fn search(app: &TestApp, query: &str) -> Value {
    app.get_json(&format!("/api/v1/search?{query}")).await
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|hit| hit["id"].as_i64().expect("id"))
        .collect()
}

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> u16 {
    app.send_json(method, path, Some(&user.token), &body)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn comments_match_by_stem_ranked_with_escaped_highlights_and_never_when_gone() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let summit = app.create_article(&admin, "Summit week", &[]).await;
    let other = app.create_article(&admin, "Other news", &[]).await;
    let once = app
        .comment_id(&ada, &summit, "They signed a tariff deal at last.", None)
        .await;
    let twice = app
        .comment_id(
            &bob,
            &summit,
            "Tariff talk everywhere: the tariff <img src=x onerror=alert(1)> **cut** is signed.",
            None,
        )
        .await;
    let elsewhere = app
        .comment_id(&ada, &other, "Tariffs again, in other news.", None)
        .await;
    let deleted = app.comment_id(&ada, &summit, "Tariff regrets.", None).await;
    let removed = app.comment_id(&bob, &summit, "Tariff spam.", None).await;
    app.comment_id(&ada, &summit, "Nothing to see here.", None)
        .await;

    assert_eq!(
        send(
            &app,
            &ada,
            Method::DELETE,
            &format!("/api/v1/comments/{deleted}"),
            json!({})
        )
        .await,
        204
    );
    let moderator = app.register_with_role("mod", "moderator").await;
    let removal = format!("/api/v1/comments/{removed}/removal");
    let status = send(
        &app,
        &moderator,
        Method::POST,
        &removal,
        json!({"reason": "Spam."}),
    )
    .await;
    assert_eq!(status, 200);

    // "tariffs" and "signing" find "tariff" and "signed" (English stems); most matches first.
    let page = search(&app, "q=tariffs").await;
    assert_eq!(ids(&page), [twice, elsewhere, once]);
    let hit = &page["items"][0];
    assert_eq!(hit["type"], "comment");
    assert_eq!(hit["article"]["slug"], summit.as_str());
    assert_eq!(hit["author"]["username"], "bob");
    let snippet = hit["snippet_html"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>Tariff</mark>"), "{snippet}");
    assert!(
        snippet.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{snippet}"
    );
    assert!(!snippet.contains("<img"), "{snippet}");
    assert!(hit["rank"].as_f64().expect("rank") > page["items"][2]["rank"].as_f64().expect("rank"));

    let mut both = ids(&search(&app, "q=signing%20tariff").await);
    both.sort_unstable();
    assert_eq!(both, [once, twice], "every word must match, in any form");
    assert_eq!(ids(&search(&app, "q=tariff%20-signed").await), [elsewhere]);
    assert_eq!(ids(&search(&app, "q=%22tariff%20deal%22").await), [once]);
    assert_eq!(
        ids(&search(&app, &format!("q=tariff&article={summit}")).await),
        [twice, once]
    );
    assert_eq!(
        ids(&search(&app, "q=tariff&author=ADA").await),
        [elsewhere, once]
    );
    assert!(ids(&search(&app, "q=tariff&author=nobody").await).is_empty());
    assert!(
        ids(&search(&app, "q=regrets%20or%20spam").await).is_empty(),
        "deleted, removed"
    );
    assert!(
        ids(&search(&app, "q=the").await).is_empty(),
        "stop words only"
    );

    // A deleted article takes its thread out of search.
    let response = app
        .request(Method::DELETE, &format!("/api/v1/articles/{other}"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(response.status(), 204);
    assert_eq!(ids(&search(&app, "q=tariffs").await), [twice, once]);

    // An edit is searched by its new text.
    let edit = send(
        &app,
        &ada,
        Method::PATCH,
        &format!("/api/v1/comments/{once}"),
        json!({"body": "Actually about ferries."}),
    )
    .await;
    assert_eq!(edit, 200);
    assert_eq!(ids(&search(&app, "q=ferry").await), [once]);
    assert_eq!(ids(&search(&app, "q=tariffs").await), [twice]);
}

#[tokio::test]
async fn pages_follow_the_rank_and_refuse_bad_parameters() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let ada = app.register("ada").await;
    let slug = app.create_article(&admin, "Harbour", &[]).await;
    let mut made = Vec::new();
    for n in 0..5 {
        let body = format!("{} ferry", "ferry ".repeat(n));
        made.push(app.comment_id(&ada, &slug, &body, None).await);
    }
    let first = search(&app, "q=ferry&limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("more").to_owned();
    let second = search(&app, &format!("q=ferry&limit=2&cursor={cursor}")).await;
    let third_cursor = second["next_cursor"].as_str().expect("more").to_owned();
    let third = search(&app, &format!("q=ferry&limit=2&cursor={third_cursor}")).await;
    assert!(third["next_cursor"].is_null());
    let mut all: Vec<i64> = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(all.len(), 5, "each once");
    all.reverse();
    assert_eq!(all, made, "more mentions rank higher");

    let wrong_list = app
        .get(&format!(
            "/api/v1/search?q=ferry&type=articles&cursor={cursor}"
        ))
        .await;
    let problem = assert_problem(wrong_list, 422).await;
    assert_eq!(
        problem_fields(&problem),
        [("cursor".to_owned(), "invalid_cursor".to_owned())]
    );

    let bad = app
        .get("/api/v1/search?type=posts&status=open&limit=99")
        .await;
    let problem = assert_problem(bad, 422).await;
    let mut fields: Vec<String> = problem_fields(&problem).into_iter().map(|f| f.0).collect();
    fields.sort();
    assert_eq!(fields, ["limit", "q", "type"]);
    let status_on_comments = app.get("/api/v1/search?q=ferry&status=open").await;
    let problem = assert_problem(status_on_comments, 422).await;
    assert_eq!(
        problem_fields(&problem),
        [("status".to_owned(), "not_allowed".to_owned())]
    );
}

#[tokio::test]
async fn articles_rank_title_over_body_and_predictions_filter_by_status() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let ada = app.register("ada").await;
    let in_title = app.create_article(&admin, "Ferry strike looms", &[]).await;
    let response = app
        .post_as(
            &admin.token,
            "/api/v1/articles",
            &json!({"title": "Port report", "body": "A ferry was late again."}),
        )
        .await;
    let in_body = json_with_status(response, 201).await["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    let page = search(&app, "q=ferry&type=articles").await;
    let slugs: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|hit| hit["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, [in_title.as_str(), in_body.as_str()]);
    assert_eq!(page["items"][0]["type"], "article");

    let deadline = (app.clock.now() + chrono::Duration::days(30)).to_rfc3339();
    let mut predictions = Vec::new();
    for claim in ["The ferry strike ends by May", "Ferry fares rise"] {
        let comment = json_with_status(
            app.post_as(
                &ada.token,
                &format!("/api/v1/articles/{in_title}/comments"),
                &json!({"body": "My call.", "prediction": {
                    "claim": claim, "probability": 0.6, "resolves_at": deadline
                }}),
            )
            .await,
            201,
        )
        .await;
        predictions.push(comment["prediction"]["id"].as_i64().expect("prediction id"));
    }
    let moderator = app.register_with_role("mod", "moderator").await;
    let resolution = format!("/api/v1/predictions/{}/resolution", predictions[1]);
    let status = send(
        &app,
        &moderator,
        Method::POST,
        &resolution,
        json!({"outcome": "yes"}),
    )
    .await;
    assert_eq!(status, 200);

    let all = search(&app, "q=ferry&type=predictions").await;
    let mut found = ids(&all);
    found.sort_unstable();
    assert_eq!(found, predictions);
    assert_eq!(all["items"][0]["type"], "prediction");
    assert!(all["items"][0]["snippet_html"]
        .as_str()
        .expect("snippet")
        .contains("<mark>"));
    let open = search(&app, "q=ferry&type=predictions&status=open").await;
    assert_eq!(ids(&open), [predictions[0]]);
    let resolved = search(&app, "q=ferry&type=predictions&status=resolved").await;
    assert_eq!(ids(&resolved), [predictions[1]]);
    assert_eq!(resolved["items"][0]["outcome"], "yes");
}

#[tokio::test]
async fn the_search_language_is_a_setting_that_reindexes_and_is_checked() {
    let app = TestApp::spawn_with(|s| s.search_language = "simple".to_owned()).await;
    let admin = app.admin().await;
    let ada = app.register("ada").await;
    let slug = app.create_article(&admin, "Talks", &[]).await;
    let id = app.comment_id(&ada, &slug, "They signed it.", None).await;
    assert!(
        ids(&search(&app, "q=signing").await).is_empty(),
        "no stemming in simple"
    );
    assert_eq!(ids(&search(&app, "q=signed").await), [id]);

    // An instance with English re-indexes what is there.
    let english = app.second_instance_with(|_| {}).await;
    assert_eq!(
        ids(&english.get_json("/api/v1/search?q=signing").await),
        [id]
    );

    let mut settings = test_settings(&app.database);
    settings.search_language = "klingon".to_owned();
    let refused = hindsight::Application::build(settings, app.clock.clone()).await;
    let error = format!(
        "{:#}",
        refused.err().expect("an unknown language is refused")
    );
    assert!(error.contains("search_language"), "{error}");
}
