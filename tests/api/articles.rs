//! Articles through HTTP.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn admins_create_articles_and_everyone_reads_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let created = json_with_status(
        app.post_as(
            &admin.token,
            "/api/v1/articles",
            &json!({
                "title": "Seoul and Beijing: a new chapter?",
                "summary": "What the state visit changed.",
                "body": "## The visit\n\nA **bold** move.\n\n<script>x()</script>",
                "tags": ["korea", "china"],
                "published_at": "2026-05-30T09:00:00Z"
            }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["slug"], "seoul-and-beijing-a-new-chapter");
    assert_eq!(created["tags"], json!(["korea", "china"]));
    assert_eq!(created["author"]["username"], "editor_admin");
    assert_eq!(created["comment_count"], 0);
    assert_eq!(created["locked"], false);
    assert_eq!(created["published_at"], "2026-05-30T09:00:00Z");
    let html = created["body_html"].as_str().expect("html");
    assert!(
        html.contains("<strong>bold</strong>") && !html.contains("<script"),
        "{html}"
    );
    let read = app
        .get_json("/api/v1/articles/seoul-and-beijing-a-new-chapter")
        .await;
    assert_eq!(read["title"], "Seoul and Beijing: a new chapter?");
    assert_problem(app.get("/api/v1/articles/nope").await, 404).await;
}

#[tokio::test]
async fn only_admins_write_articles() {
    let app = TestApp::spawn().await;
    let reader = app.register("reader1").await;
    let moderator = app.register_with_role("mod1", "moderator").await;
    let body = json!({"title": "T", "body": "B"});
    assert_problem(app.post("/api/v1/articles", &body).await, 401).await;
    assert_problem(
        app.post_as(&reader.token, "/api/v1/articles", &body).await,
        403,
    )
    .await;
    assert_problem(
        app.post_as(&moderator.token, "/api/v1/articles", &body)
            .await,
        403,
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS count FROM articles").await, 0);
}

#[tokio::test]
async fn slugs_are_derived_unique_and_explicit_ones_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    assert_eq!(
        app.create_article(&admin, "Trade Talks", &[]).await,
        "trade-talks"
    );
    assert_eq!(
        app.create_article(&admin, "Trade talks!", &[]).await,
        "trade-talks-2"
    );
    let problem = assert_problem(
        app.post_as(
            &admin.token,
            "/api/v1/articles",
            &json!({"title": "Other", "slug": "trade-talks", "body": "B"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(
        problem_fields(&problem),
        vec![("slug".into(), "taken".into())]
    );
}

#[tokio::test]
async fn article_validation_names_every_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let problem = assert_problem(
        app.post_as(
            &admin.token,
            "/api/v1/articles",
            &json!({
                "title": "x".repeat(201), "slug": "Bad Slug", "summary": "s".repeat(1001),
                "body": " ", "tags": ["ok", "Not OK"]
            }),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<String> = problem_fields(&problem).into_iter().map(|f| f.0).collect();
    for field in ["title", "slug", "summary", "body", "tags.1"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    let too_many = json!({"title": "T", "body": "B", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()});
    let problem = assert_problem(
        app.post_as(&admin.token, "/api/v1/articles", &too_many)
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem)[0].0, "tags");
    assert_eq!(app.count("SELECT count(*) AS count FROM articles").await, 0);
}

#[tokio::test]
async fn article_bodies_may_reach_one_mebibyte_of_json() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // 150,000 characters (over the 64 KiB default, under the 1 MiB article limit).
    let body = "word ".repeat(30_000);
    let response = app
        .post_as(
            &admin.token,
            "/api/v1/articles",
            &json!({"title": "Long read", "body": body}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let too_long = "w".repeat(200_001);
    let problem = assert_problem(
        app.post_as(
            &admin.token,
            "/api/v1/articles",
            &json!({"title": "Too long", "body": too_long}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&problem),
        vec![("body".into(), "too_long".into())]
    );
}

#[tokio::test]
async fn articles_list_newest_first_by_tag_with_cursors() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..5 {
        app.clock.advance(chrono::Duration::minutes(1));
        let tags: &[&str] = if i % 2 == 0 { &["korea"] } else { &["china"] };
        app.create_article(&admin, &format!("Piece {i}"), tags)
            .await;
    }
    let first = app.get_json("/api/v1/articles?limit=2").await;
    let slugs: Vec<&str> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, ["piece-4", "piece-3"]);
    // Lists leave bodies out.
    assert_absent(&first["items"][0], "body");
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let second = app
        .get_json(&format!("/api/v1/articles?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(second["items"][0]["slug"], "piece-2");
    let korea = app.get_json("/api/v1/articles?tag=korea").await;
    let slugs: Vec<&str> = korea["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, ["piece-4", "piece-2", "piece-0"]);
    assert_null(&korea, "next_cursor");
    assert_problem(app.get("/api/v1/articles?limit=101").await, 422).await;
    assert_problem(app.get("/api/v1/articles?limit=many").await, 422).await;
    let wrong_list = app
        .get(&format!("/api/v1/articles?tag=korea&cursor={cursor}"))
        .await;
    assert_eq!(
        problem_fields(&assert_problem(wrong_list, 422).await)[0].0,
        "cursor"
    );
}

#[tokio::test]
async fn admins_edit_articles() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Draft title", &["korea"]).await;
    let patch = |body: serde_json::Value| {
        app.request(Method::PATCH, &format!("/api/v1/articles/{slug}"))
            .bearer_auth(&admin.token)
            .json(&body)
            .send()
    };
    let updated = json_with_status(
        patch(json!({"title": "Final title", "body": "New *body*", "summary": null}))
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(updated["title"], "Final title");
    assert_eq!(
        updated["slug"],
        slug.as_str(),
        "the slug stays unless given"
    );
    assert!(updated["body_html"]
        .as_str()
        .expect("html")
        .contains("<em>body</em>"));
    assert_eq!(updated["tags"], json!(["korea"]));
    assert_problem(patch(json!({})).await.expect("request"), 422).await;
    assert_problem(patch(json!({"title": ""})).await.expect("request"), 422).await;
}

#[tokio::test]
async fn deleting_an_article_hides_it_and_its_thread_but_keeps_the_rows() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let reader = app.register("reader2").await;
    let slug = app.create_article(&admin, "Going away", &["korea"]).await;
    let comment = app.comment_id(&reader, &slug, "First!", None).await;
    let response = app
        .request(Method::DELETE, &format!("/api/v1/articles/{slug}"))
        .bearer_auth(&reader.token)
        .send()
        .await
        .expect("request");
    assert_problem(response, 403).await;
    let response = app
        .request(Method::DELETE, &format!("/api/v1/articles/{slug}"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    assert_problem(app.get(&format!("/api/v1/articles/{slug}")).await, 404).await;
    assert_problem(
        app.get(&format!("/api/v1/articles/{slug}/comments")).await,
        404,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/articles/{slug}/comments/flat"))
            .await,
        404,
    )
    .await;
    assert_problem(app.get(&format!("/api/v1/comments/{comment}")).await, 404).await;
    assert_problem(
        app.get(&format!("/api/v1/comments/{comment}/replies"))
            .await,
        404,
    )
    .await;
    let listed = app.get_json("/api/v1/articles").await;
    assert_eq!(listed["items"], json!([]));
    let history = app.get_json("/api/v1/users/reader2/comments").await;
    assert_eq!(history["items"], json!([]));
    assert_problem(
        app.post_as(
            &reader.token,
            &format!("/api/v1/articles/{slug}/comments"),
            &json!({"body": "late"}),
        )
        .await,
        404,
    )
    .await;
    // The rows and counters stay.
    assert_eq!(app.count("SELECT count(*) AS count FROM comments").await, 1);
    assert_eq!(
        app.count("SELECT comment_count AS count FROM articles")
            .await,
        1
    );
}
