//! The platform: errors, fallback, request ids, readiness, pool exhaustion, config, migrations,
//! the OpenAPI drift check.

use std::process::Command;
use std::time::Duration;

use diesel::migration::MigrationSource;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::MigrationHarness;
use reqwest::Method;

use crate::helpers::*;

#[tokio::test]
async fn health_answers_without_the_database_and_readiness_checks_it() {
    let app = TestApp::spawn().await;
    let body = json_with_status(app.get("/healthz").await, 200).await;
    assert_eq!(body["status"], "ok");
    let body = json_with_status(app.get("/readyz").await, 200).await;
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let body = assert_problem(app.get("/api/v1/no-such-thing").await, 404).await;
    assert_eq!(body["type"], "/problems/not-found");
    assert_problem(app.get("/nowhere").await, 404).await;
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_a_405_with_allow() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/healthz")
        .send()
        .await
        .expect("request");
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_problem(response, 405).await;
    assert_eq!(allow.as_deref(), Some("GET"));
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    let generated = app.get("/healthz").await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 32);
    let problem = assert_problem(
        app.request(Method::GET, "/api/v1/missing")
            .header("x-request-id", "abc")
            .send()
            .await
            .expect("request"),
        404,
    )
    .await;
    assert_eq!(problem["request_id"], "abc");
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_instead_of_hanging() {
    let app = TestApp::spawn_with(|s| {
        s.pool_size = 1;
        s.pool_timeout = Duration::from_millis(300);
    })
    .await;
    let held = app.pool.get().await.expect("the only connection");
    let started = std::time::Instant::now();
    let problem = assert_problem(app.get("/readyz").await, 503).await;
    assert_eq!(problem["type"], "/problems/unavailable");
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(held);
    json_with_status(app.get("/readyz").await, 200).await;
}

#[tokio::test]
async fn readiness_fails_while_migrations_are_pending() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut conn,
        "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    )
    .await
    .expect("forget one migration");
    assert_problem(app.get("/readyz").await, 503).await;
}

/// The schema of a database as `pg_dump` writes it, without the lines that differ between two
/// dumps of the same schema (the random `\restrict` key, comments).
fn schema_dump(url: &str) -> String {
    let output = Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            url,
        ])
        .output()
        .expect("pg_dump runs (it ships with PostgreSQL)");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| {
            !line.starts_with("\\restrict")
                && !line.starts_with("\\unrestrict")
                && !line.starts_with("--")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reverts every migration of the database behind `url`.
async fn revert_all(url: &str) -> usize {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn =
            AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).expect("connect");
        conn.revert_all_migrations(hindsight::db::MIGRATIONS)
            .expect("down")
            .len()
    })
    .await
    .expect("revert task")
}

/// A migrated schema equals a fresh one: migrating again (which re-applies the replaceable
/// schema of SQL functions), and reverting every migration then migrating again, both leave
/// exactly the schema of the first migration.
#[tokio::test]
async fn migrations_apply_revert_and_apply_again() {
    // A database that has never been migrated, not a clone of the template.
    let name = unique_database_name();
    let url = database_url(&name);
    hindsight::db::ensure_database(&url).await.expect("created");
    let outcome = tokio::spawn({
        let url = url.clone();
        async move {
            hindsight::db::run_migrations(&url).await.expect("up");
            let fresh = schema_dump(&url);
            assert!(fresh.contains("CREATE FUNCTION r.vote("), "{fresh}");
            assert!(!fresh.contains("hindsight_vote"), "old public copy dropped");

            hindsight::db::run_migrations(&url).await.expect("again");
            assert_eq!(schema_dump(&url), fresh, "re-applying r changes nothing");

            let all = MigrationSource::<diesel::pg::Pg>::migrations(&hindsight::db::MIGRATIONS)
                .expect("embedded")
                .len();
            assert_eq!(revert_all(&url).await, all);
            hindsight::db::run_migrations(&url).await.expect("up again");
            assert_eq!(
                schema_dump(&url),
                fresh,
                "down and up again is the same schema"
            );
        }
    })
    .await;
    drop_database_blocking(name);
    outcome.expect("round trip");
}

#[tokio::test]
async fn a_missing_database_is_created_at_startup() {
    let name = unique_database_name();
    let mut settings = test_settings(&name);
    settings.workers = 1;
    let app = hindsight::Application::build(settings, hindsight::Clock::system())
        .await
        .expect("builds on a database that did not exist");
    app.pool().close();
    drop(app);
    drop_database_blocking(name);
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hindsight"))
}

#[test]
fn invalid_configuration_exits_non_zero_naming_the_setting() {
    let output = binary()
        .arg("migrate")
        .env("HINDSIGHT_POOL_SIZE", "plenty")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("HINDSIGHT_POOL_SIZE"), "{stderr}");
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let output = binary()
        .arg("migrate")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/hindsight")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("start PostgreSQL"), "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "serve",
        "migrate",
        "openapi",
        "set-role",
        "import-article",
        "seed-demo",
    ] {
        let output = binary().args([sub, "--help"]).output().expect("runs");
        assert!(output.status.success(), "{sub} --help");
    }
    for sub in ["seed-load", "seed-predictions", "bench-sql", "bench-tokens"] {
        let output = Command::new(env!("CARGO_BIN_EXE_hindsight-bench"))
            .args([sub, "--help"])
            .output()
            .expect("runs");
        assert!(output.status.success(), "hindsight-bench {sub} --help");
    }
    let serving = binary()
        .args(["seed-load", "--help"])
        .output()
        .expect("runs");
    assert!(
        !serving.status.success(),
        "benchmark helpers are not commands of the serving binary"
    );
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = hindsight::openapi::yaml().expect("renders");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi.yaml is out of date: regenerate it with `cargo run -q -- openapi > openapi.yaml`"
    );
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body("{\"login\": ")
        .send()
        .await
        .expect("request");
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem["type"], "/problems/malformed-body");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "text/plain")
        .body("login=me")
        .send()
        .await
        .expect("request");
    assert_problem(response, 415).await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_a_413_problem_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let body = serde_json::json!({
        "username": "big_body", "email": "big@example.com", "password": STRONG_PASSWORD,
        "padding": "x".repeat(70 * 1024),
    });
    assert_problem(app.post("/api/v1/auth/register", &body).await, 413).await;
    assert_eq!(app.count("SELECT count(*) AS count FROM users").await, 0);
}

#[tokio::test]
async fn a_missing_field_is_a_422_naming_it() {
    let app = TestApp::spawn().await;
    let problem = assert_problem(
        app.post("/api/v1/auth/login", &serde_json::json!({"login": "x"}))
            .await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&problem),
        vec![("password".into(), "required".into())]
    );
}

#[tokio::test]
async fn status_precedence_puts_401_before_body_problems() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::PATCH, "/api/v1/me")
        .header("content-type", "text/plain")
        .body("{")
        .send()
        .await
        .expect("request");
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn cors_answers_listed_origins_and_refuses_others() {
    let app =
        TestApp::spawn_with(|s| s.cors_origins = vec!["https://news.example".to_owned()]).await;
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/api/v1/me")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://news.example").await.expect("request");
    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://news.example"
    );
    let refused = preflight("https://evil.example").await.expect("request");
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_problem(refused, 403).await;
    let simple = app
        .request(Method::GET, "/healthz")
        .header("origin", "https://news.example")
        .send()
        .await
        .expect("request");
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://news.example"
    );
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_on_api_routes_too() {
    let app = TestApp::spawn_with(|s| {
        s.pool_size = 1;
        s.pool_timeout = Duration::from_millis(300);
    })
    .await;
    let held = app.pool.get().await.expect("the only connection");
    let problem = assert_problem(app.get("/api/v1/articles").await, 503).await;
    assert_eq!(problem["type"], "/problems/unavailable");
    drop(held);
    json_with_status(app.get("/api/v1/articles").await, 200).await;
}

#[tokio::test]
async fn a_wrong_method_under_the_api_prefix_is_a_405_listing_the_methods() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::DELETE, "/api/v1/articles")
        .send()
        .await
        .expect("request");
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_problem(response, 405).await;
    let allow = allow.expect("Allow header");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let response = app
        .request(Method::PUT, "/api/v1/comments/1")
        .send()
        .await
        .expect("request");
    assert_problem(response, 405).await;
}

#[tokio::test]
async fn article_bodies_over_one_mebibyte_are_413() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = serde_json::json!({"title": "Huge", "body": "x".repeat(1024 * 1024 + 10)});
    assert_problem(
        app.post_as(&admin.token, "/api/v1/articles", &body).await,
        413,
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS count FROM articles").await, 0);
}

#[tokio::test]
async fn auth_refusals_come_before_body_problems_even_with_a_token() {
    let app = TestApp::spawn().await;
    let reader = app.register("plain_reader").await;
    // A reader (403 for the role) sending a body of the wrong type (415).
    let response = app
        .request(Method::POST, "/api/v1/articles")
        .bearer_auth(&reader.token)
        .header("content-type", "text/plain")
        .body("not json")
        .send()
        .await
        .expect("request");
    assert_problem(response, 403).await;
    // A token that stopped working (401) with a malformed body (400).
    let response = app
        .send_json(
            Method::DELETE,
            "/api/v1/me",
            Some(&reader.token),
            &serde_json::json!({"password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 204);
    let response = app
        .request(Method::PATCH, "/api/v1/me")
        .bearer_auth(&reader.token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("request");
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn values_sent_in_mistyped_fields_are_not_echoed() {
    let app = TestApp::spawn().await;
    let problem = assert_problem(
        app.post(
            "/api/v1/auth/register",
            &serde_json::json!({"username": "someone", "email": "s@example.com", "password": 987654321987u64}),
        )
        .await,
        422,
    )
    .await;
    assert!(!problem.to_string().contains("987654321987"), "{problem}");
}
