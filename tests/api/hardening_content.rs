//! What a hostile tester found in content: costly writes, races with bans, removals and
//! forecasts, deleted text that lingered, and small contract gaps.

use std::time::Duration;

use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

struct Thread {
    app: TestApp,
    slug: String,
    author: TestUser,
    reader: TestUser,
    moderator: TestUser,
}

async fn thread_with(adjust: impl FnOnce(&mut hindsight::Settings)) -> Thread {
    let app = TestApp::spawn_with(adjust).await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Hardening", &[]).await;
    let author = app.register("author").await;
    let reader = app.register("reader").await;
    let moderator = app.register_with_role("moderator", "moderator").await;
    Thread {
        app,
        slug,
        author,
        reader,
        moderator,
    }
}

async fn thread() -> Thread {
    thread_with(|_| {}).await
}

impl Thread {
    fn comments_path(&self) -> String {
        format!("/api/v1/articles/{}/comments", self.slug)
    }

    async fn predict(&self, claim: &str) -> (i64, i64) {
        let deadline = (self.app.clock.now() + chrono::Duration::days(5)).to_rfc3339();
        let comment = json_with_status(
            self.app
                .post_as(
                    &self.author.token,
                    &self.comments_path(),
                    &json!({"body": "My call.", "prediction": {
                        "claim": claim, "probability": 0.6, "resolves_at": deadline}}),
                )
                .await,
            201,
        )
        .await;
        (
            comment["id"].as_i64().expect("id"),
            comment["prediction"]["id"].as_i64().expect("prediction id"),
        )
    }

    async fn forecast(&self, user: &TestUser, prediction: i64) -> reqwest::Response {
        self.app
            .send_json(
                Method::PUT,
                &format!("/api/v1/predictions/{prediction}/forecast"),
                Some(&user.token),
                &json!({"probability": 0.3}),
            )
            .await
    }

    async fn edit(&self, id: i64, body: Value) -> reqwest::Response {
        self.app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/comments/{id}"),
                Some(&self.author.token),
                &body,
            )
            .await
    }
}

#[tokio::test]
async fn comment_edits_are_rate_limited_like_comments() {
    let t = thread_with(|s| {
        s.rate_limits.enabled = true;
        s.rate_limits.comments = "3/min".parse().expect("rule");
        s.rate_limits.new_account_comments = "3/min".parse().expect("rule");
    })
    .await;
    let id = t.app.comment_id(&t.author, &t.slug, "first", None).await;
    for i in 0..3 {
        json_with_status(t.edit(id, json!({"body": format!("edit {i}")})).await, 200).await;
    }
    let problem = assert_problem(t.edit(id, json!({"body": "one too many"})).await, 429).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    assert_eq!(
        t.app
            .count(&format!(
                "SELECT count(*) AS count FROM comment_edits WHERE comment_id = {id}"
            ))
            .await,
        3
    );
}

#[tokio::test]
async fn bodies_too_costly_to_render_are_refused_and_the_rest_render() {
    let t = thread().await;
    let nested = format!("{}a", "- ".repeat(4_990));
    for body in [nested, ">".repeat(10_000), "<div>".repeat(2_000)] {
        let problem = assert_problem(
            t.app
                .post_as(&t.author.token, &t.comments_path(), &json!({"body": body}))
                .await,
            422,
        )
        .await;
        assert_eq!(
            problem_fields(&problem),
            vec![("body".to_owned(), "too_complex".to_owned())]
        );
    }
    let id = t.app.comment_id(&t.author, &t.slug, "fine", None).await;
    let problem = assert_problem(t.edit(id, json!({"body": ">".repeat(5_000)})).await, 422).await;
    assert_eq!(problem["errors"][0]["code"], "too_complex");
    assert_eq!(
        t.app.count("SELECT count(*) AS count FROM comments").await,
        1
    );
    // A long flat list is fine.
    let list = "- item\n".repeat(1_400);
    json_with_status(
        t.app
            .post_as(&t.author.token, &t.comments_path(), &json!({"body": list}))
            .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn a_ban_that_removes_content_leaves_nothing_posted_while_it_ran() {
    let t = thread_with(|s| s.pool_size = 12).await;
    for round in 0..6 {
        let user = t.app.register(&format!("spammer_{round}")).await;
        let path = t.comments_path();
        let posts = join_all((0..20).map(|i| {
            let (app, token, path) = (&t.app, user.token.clone(), path.clone());
            async move {
                app.post_as(&token, &path, &json!({"body": format!("spam {i}")}))
                    .await
                    .status()
                    .as_u16()
            }
        }));
        let ban = async {
            tokio::time::sleep(Duration::from_millis(5 * round)).await;
            t.app
                .post_as(
                    &t.moderator.token,
                    &format!("/api/v1/users/{}/ban", user.username),
                    &json!({"reason": "spam", "remove_content": true}),
                )
                .await
                .status()
                .as_u16()
        };
        let (statuses, banned) = tokio::join!(posts, ban);
        assert_eq!(banned, 204);
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 403),
            "{statuses:?}"
        );
        let live = t
            .app
            .count(&format!(
                "SELECT count(*) AS count FROM comments WHERE author_id = {} AND state = 'visible'",
                user.id
            ))
            .await;
        assert_eq!(live, 0, "round {round}: {statuses:?}");
    }
}

/// Holds `FOR NO KEY UPDATE` on a prediction from a connection of the test (as an in-flight
/// forecast or resolution would) and runs `inside` before committing.
async fn holding_prediction_lock(
    app: &TestApp,
    prediction: i64,
    extra_sql: &str,
) -> diesel_async::AsyncPgConnection {
    let mut conn = app.db().await;
    conn.batch_execute(&format!(
        "BEGIN; SELECT id FROM predictions WHERE id = {prediction} FOR NO KEY UPDATE; {extra_sql}"
    ))
    .await
    .expect("lock");
    conn
}

#[tokio::test]
async fn a_claim_never_changes_after_another_users_forecast_committed() {
    let t = thread().await;
    let (comment, prediction) = t.predict("The summit ends with a joint statement").await;
    let extra = format!(
        "INSERT INTO forecasts (prediction_id, user_id, article_id, percent, created_at, updated_at) \
         SELECT {prediction}, {}, article_id, 40, now(), now() FROM predictions WHERE id = {prediction};",
        t.reader.id
    );
    let mut held = holding_prediction_lock(&t.app, prediction, &extra).await;
    let edit = t.edit(
        comment,
        json!({"prediction": {"claim": "Something else entirely now"}}),
    );
    let commit = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        held.batch_execute("COMMIT").await.expect("commit");
    };
    let (response, ()) = tokio::join!(edit, commit);
    let problem = assert_problem(response, 409).await;
    assert_eq!(problem["type"], "/problems/prediction-has-forecasts");
    let stored = t
        .app
        .count(&format!(
            "SELECT count(*) AS count FROM predictions WHERE id = {prediction} \
             AND claim = 'The summit ends with a joint statement'"
        ))
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn a_forecast_racing_a_removal_or_deletion_never_lands_after_it() {
    let t = thread().await;
    for deletion in [false, true] {
        let (comment, prediction) = t.predict("A claim raced by its own removal").await;
        let mut held = holding_prediction_lock(&t.app, prediction, "").await;
        let forecast = tokio::spawn({
            let (client, url, token) = (
                t.app.client.clone(),
                format!("{}/api/v1/predictions/{prediction}/forecast", t.app.address),
                t.reader.token.clone(),
            );
            async move {
                client
                    .put(url)
                    .bearer_auth(token)
                    .json(&json!({"probability": 0.3}))
                    .send()
                    .await
                    .expect("request")
                    .status()
                    .as_u16()
            }
        });
        // The forecast must be queued behind the held lock before the removal starts.
        t.app
            .wait_for_lock_waiter("", Duration::from_secs(10))
            .await;
        let removal = {
            let (method, path, token, body) = if deletion {
                (
                    Method::DELETE,
                    format!("/api/v1/comments/{comment}"),
                    &t.author.token,
                    json!({}),
                )
            } else {
                (
                    Method::POST,
                    format!("/api/v1/comments/{comment}/removal"),
                    &t.moderator.token,
                    json!({"reason": "off topic"}),
                )
            };
            t.app
                .request(method, &path)
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        tokio::pin!(removal);
        let early = tokio::time::timeout(Duration::from_millis(600), &mut removal).await;
        held.batch_execute("COMMIT").await.expect("commit");
        let forecast = forecast.await.expect("forecast task");
        let removal_status = match early {
            Ok(response) => {
                // The removal committed while the forecast waited: the forecast must see it.
                assert_eq!(forecast, 409, "deletion: {deletion}");
                response.expect("request").status().as_u16()
            }
            Err(_) => {
                // The forecast held the comment: it commits first, the removal after.
                assert_eq!(forecast, 200, "deletion: {deletion}");
                removal.await.expect("request").status().as_u16()
            }
        };
        assert!(matches!(removal_status, 200 | 204), "{removal_status}");
        let refused = assert_problem(t.forecast(&t.reader, prediction).await, 409).await;
        assert_eq!(refused["type"], "/problems/prediction-hidden");
    }
}

#[tokio::test]
async fn an_authors_deletion_erases_the_text_and_its_history_even_after_a_removal() {
    let t = thread().await;
    let id = t
        .app
        .comment_id(&t.author, &t.slug, "original secret", None)
        .await;
    json_with_status(t.edit(id, json!({"body": "edited secret"})).await, 200).await;
    let removed = t
        .app
        .post_as(
            &t.moderator.token,
            &format!("/api/v1/comments/{id}/removal"),
            &json!({"reason": "rule 2"}),
        )
        .await;
    assert_eq!(removed.status(), 200);
    let deleted = t
        .app
        .request(Method::DELETE, &format!("/api/v1/comments/{id}"))
        .bearer_auth(&t.author.token)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 204);
    let edits = json_with_status(
        t.app
            .get_as(&t.moderator.token, &format!("/api/v1/comments/{id}/edits"))
            .await,
        200,
    )
    .await;
    assert_eq!(edits["items"], json!([]));
    assert_eq!(
        t.app
            .count("SELECT count(*) AS count FROM comments WHERE body LIKE '%secret%' OR body_html LIKE '%secret%'")
            .await,
        0
    );
    assert_eq!(
        t.app
            .count("SELECT count(*) AS count FROM comment_edits")
            .await,
        0
    );
    let restore = t
        .app
        .request(Method::DELETE, &format!("/api/v1/comments/{id}/removal"))
        .bearer_auth(&t.moderator.token)
        .send()
        .await
        .expect("request");
    assert_problem(restore, 409).await;
    let seen = json_with_status(
        t.app
            .get_as(&t.moderator.token, &format!("/api/v1/comments/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(seen["deleted"], true);
    assert_null(&seen, "body");
    assert_null(&seen, "author");
}

#[tokio::test]
async fn the_prediction_list_never_ties_a_deleted_comment_to_its_author() {
    let t = thread().await;
    let (comment, _) = t.predict("A prediction whose comment is deleted").await;
    t.predict("A prediction that stays with its author").await;
    t.app
        .request(Method::DELETE, &format!("/api/v1/comments/{comment}"))
        .bearer_auth(&t.author.token)
        .send()
        .await
        .expect("request");
    let by_author = t.app.get_json("/api/v1/predictions?author=author").await;
    let claims: Vec<&str> = by_author["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["prediction"]["claim"].as_str().or(p["claim"].as_str()))
        .collect();
    assert_eq!(
        by_author["items"].as_array().map(Vec::len),
        Some(1),
        "{by_author}"
    );
    assert!(
        !claims.contains(&"A prediction whose comment is deleted"),
        "{by_author}"
    );
    let all = t.app.get_json("/api/v1/predictions").await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn body_html_loads_nothing_remote_and_keeps_only_absolute_links() {
    let t = thread().await;
    let comment = t
        .app
        .comment(
            &t.author,
            &t.slug,
            "![chart](https://tracker.example/p.gif) [a](//evil.example/x) [b](/local) [c](https://ok.example/)",
            None,
        )
        .await;
    let html = comment["body_html"].as_str().expect("html");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains(r#"href="https://tracker.example/p.gif""#),
        "{html}"
    );
    assert!(!html.contains("evil.example"), "{html}");
    assert!(!html.contains("/local"), "{html}");
    assert!(html.contains(r#"href="https://ok.example/""#), "{html}");
}

#[tokio::test]
async fn a_comment_of_invisible_characters_only_is_too_short() {
    let t = thread().await;
    for body in [
        "\u{200B}",
        "\u{200B}\u{200D}\u{2060}",
        "\u{3164}\u{3164}",
        " \u{FEFF} ",
    ] {
        let problem = assert_problem(
            t.app
                .post_as(&t.author.token, &t.comments_path(), &json!({"body": body}))
                .await,
            422,
        )
        .await;
        assert_eq!(
            problem_fields(&problem),
            vec![("body".to_owned(), "too_short".to_owned())],
            "{body:?}"
        );
    }
}

#[tokio::test]
async fn the_leaderboard_cursor_keeps_its_key_exactly() {
    let t = thread().await;
    let mut conn = t.app.db().await;
    for name in ["tie_a", "tie_b", "tie_c"] {
        t.app.register(name).await;
        diesel::sql_query(format!(
            "INSERT INTO user_scores (user_id, scored_forecasts, brier_sum, relative_brier_sum) \
             SELECT id, 1, 0.040000000000000036::float8, 0 FROM users WHERE username = '{name}'"
        ))
        .execute(&mut conn)
        .await
        .expect("insert");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/leaderboard?min_resolved=1&limit=1&cursor={c}"),
            None => "/api/v1/leaderboard?min_resolved=1&limit=1".to_owned(),
        };
        let page = t.app.get_json(&path).await;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["user"]["username"].as_str().expect("name").to_owned());
        }
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, vec!["tie_a", "tie_b", "tie_c"]);
}

#[tokio::test]
async fn validation_names_every_missing_or_mistyped_field_at_once() {
    let t = thread().await;
    let problem = assert_problem(t.app.post("/api/v1/auth/register", &json!({})).await, 422).await;
    assert_eq!(
        problem_fields(&problem),
        vec![
            ("username".to_owned(), "required".to_owned()),
            ("email".to_owned(), "required".to_owned()),
            ("password".to_owned(), "required".to_owned()),
        ]
    );
    let problem = assert_problem(
        t.app
            .post_as(
                &t.author.token,
                &t.comments_path(),
                &json!({"body": 12, "parent_id": "7"}),
            )
            .await,
        422,
    )
    .await;
    let mut fields = problem_fields(&problem);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("body".to_owned(), "invalid_type".to_owned()),
            ("parent_id".to_owned(), "invalid_type".to_owned()),
        ]
    );
    for deadline in ["tomorrow", "2030-13-45T00:00:00Z"] {
        let problem = assert_problem(
            t.app
                .post_as(
                    &t.author.token,
                    &t.comments_path(),
                    &json!({"body": "b", "prediction": {"claim": "A long enough claim", "probability": 0.5, "resolves_at": deadline}}),
                )
                .await,
            422,
        )
        .await;
        assert_eq!(
            problem_fields(&problem),
            vec![(
                "prediction.resolves_at".to_owned(),
                "invalid_format".to_owned()
            )]
        );
    }
    assert_eq!(
        t.app.count("SELECT count(*) AS count FROM comments").await,
        0
    );
}

#[tokio::test]
async fn nul_in_the_login_or_a_cursor_is_named_and_nosniff_is_everywhere() {
    let t = thread_with(|s| s.cors_origins = vec!["https://news.example".into()]).await;
    let app = &t.app;
    app.comment_id(&t.author, &t.slug, "one", None).await;
    let problem = assert_problem(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "a\u{0}b", "password": "whatever"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "login");
    // A cursor whose key carries NUL (base64url of its JSON): the leaderboard binds its
    // username key as text, so before the check the database refused it and the 422 named
    // `body`.
    use base64::Engine;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"l":"leaderboard:::1","s":"brier","k":["0.04",-1,"a\u0000b"],"i":1}"#);
    let problem = assert_problem(
        app.get(&format!(
            "/api/v1/leaderboard?min_resolved=1&cursor={forged}"
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "cursor");
    let preflight = app
        .request(Method::OPTIONS, "/api/v1/me")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("request");
    assert_eq!(preflight.headers()["x-content-type-options"], "nosniff");
    assert_problem(preflight, 403).await;
    let allowed = app
        .request(Method::OPTIONS, "/api/v1/me")
        .header("origin", "https://news.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("request");
    assert_eq!(allowed.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn every_problem_type_is_documented_in_readme_and_openapi() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml");
    // ProblemKind is the one list: ApiError can only carry one of its variants.
    for kind in hindsight::error::ProblemKind::ALL {
        let path = format!("/problems/{}", kind.slug());
        assert!(readme.contains(&path), "README lacks {path}");
        assert!(spec.contains(&path), "openapi.yaml lacks {path}");
    }
}

#[tokio::test]
async fn migrations_erase_text_of_comments_deleted_before_them() {
    // The hardening migration erases what earlier versions kept of deleted comments.
    let t = thread().await;
    let id = t
        .app
        .comment_id(&t.author, &t.slug, "deleted long ago", None)
        .await;
    let mut conn = t.app.db().await;
    conn.batch_execute(&format!(
        "UPDATE comments SET state = 'deleted' WHERE id = {id}; \
         INSERT INTO comment_edits (comment_id, article_id, body, written_at, replaced_at) \
         SELECT id, article_id, 'older text', created_at, created_at FROM comments WHERE id = {id};"
    ))
    .await
    .expect("simulate old data");
    let sql = include_str!("../../migrations/2026-12-01-000006_hardening/up.sql");
    let erase: String = sql
        .lines()
        .skip_while(|l| !l.starts_with("-- An author's deletion"))
        .collect::<Vec<_>>()
        .join("\n");
    conn.transaction(async |conn| conn.batch_execute(&erase).await)
        .await
        .expect("erase");
    assert_eq!(
        t.app
            .count("SELECT count(*) AS count FROM comment_edits")
            .await,
        0
    );
    assert_eq!(
        t.app
            .count("SELECT count(*) AS count FROM comments WHERE body <> ''")
            .await,
        0
    );
}
