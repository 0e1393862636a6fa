//! Content commands through the built binary: import-article, seed-demo, and
//! `hindsight-bench seed-load`.

use std::process::{Command, Output};

use serde_json::Value;

use crate::helpers::*;

fn hindsight(app: &TestApp, args: &[&str]) -> Output {
    run_binary(env!("CARGO_BIN_EXE_hindsight"), app, args)
}

/// The benchmark helpers' binary (`seed-load` and friends live outside the serving one).
fn hindsight_bench(app: &TestApp, args: &[&str]) -> Output {
    run_binary(env!("CARGO_BIN_EXE_hindsight-bench"), app, args)
}

fn run_binary(path: &str, app: &TestApp, args: &[&str]) -> Output {
    Command::new(path)
        .args(args)
        .env("DATABASE_URL", database_url(&app.database))
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

fn write_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hindsight-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[tokio::test]
async fn import_article_creates_then_updates_by_slug() {
    let app = TestApp::spawn().await;
    let file = write_file(
        "summit.md",
        "---\ntitle: Seoul looks west\nsummary: A short piece.\ntags: [korea, trade]\npublished_at: 2026-05-01T08:00:00Z\n---\n\n## Heading\n\nSome *text*.\n",
    );
    let output = hindsight(&app, &["import-article", file.to_str().expect("utf-8")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "seoul-looks-west"
    );
    let article = app.get_json("/api/v1/articles/seoul-looks-west").await;
    assert_eq!(article["summary"], "A short piece.");
    assert_eq!(article["tags"], serde_json::json!(["korea", "trade"]));
    assert_eq!(article["published_at"], "2026-05-01T08:00:00Z");
    assert!(article["body_html"]
        .as_str()
        .expect("html")
        .contains("<em>text</em>"));
    assert_eq!(article["author"]["username"], "hindsight-newsroom");

    let edited = write_file(
        "summit-edited.md",
        "---\ntitle: Seoul looks west, revised\nslug: seoul-looks-west\ntags: [korea]\n---\nNew body.\n",
    );
    let output = hindsight(&app, &["import-article", edited.to_str().expect("utf-8")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let article = app.get_json("/api/v1/articles/seoul-looks-west").await;
    assert_eq!(article["title"], "Seoul looks west, revised");
    assert_eq!(article["tags"], serde_json::json!(["korea"]));
    assert_eq!(app.count("SELECT count(*) AS count FROM articles").await, 1);
}

#[tokio::test]
async fn bad_front_matter_exits_non_zero_naming_the_field() {
    let app = TestApp::spawn().await;
    for (text, field) in [
        (
            "---\ntitle: T\npublished_at: next tuesday\n---\nBody\n",
            "published_at",
        ),
        ("---\ntitle: T\ntags: [Not Valid]\n---\nBody\n", "tags"),
        ("---\nsummary: no title\n---\nBody\n", "title"),
        ("---\ntitle: T\nslug: Bad Slug\n---\nBody\n", "slug"),
        ("---\ntitle: T\n---\n   \n", "body"),
    ] {
        let file = write_file(&format!("bad-{field}.md"), text);
        let output = hindsight(&app, &["import-article", file.to_str().expect("utf-8")]);
        assert!(!output.status.success(), "{field}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(field), "{field}: {stderr}");
    }
    assert_eq!(app.count("SELECT count(*) AS count FROM articles").await, 0);
}

async fn snapshot(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT count(*) AS count FROM users",
        "SELECT count(*) AS count FROM articles",
        "SELECT count(*) AS count FROM comments",
        "SELECT coalesce(sum(comment_count), 0)::bigint AS count FROM articles",
        "SELECT coalesce(sum(descendant_count), 0)::bigint AS count FROM comments",
        "SELECT count(*) AS count FROM comment_votes",
        "SELECT count(*) AS count FROM forecasts",
        "SELECT count(*) AS count FROM forecast_scores",
        "SELECT coalesce(sum(karma), 0)::bigint AS count FROM users",
    ] {
        counts.push(app.count(sql).await);
    }
    counts
}

#[tokio::test]
async fn seed_demo_twice_gives_the_same_data() {
    let app = TestApp::spawn().await;
    let first = hindsight(&app, &["seed-demo"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("minji_demo") && stdout.contains("demo-reader-camellia-42"),
        "{stdout}"
    );
    let before = snapshot(&app).await;
    let second = hindsight(&app, &["seed-demo"]);
    assert!(second.status.success());
    assert_eq!(snapshot(&app).await, before);
    let thread = app
        .get_json("/api/v1/articles/xi-lee-summit-2026/comments?sort=old")
        .await;
    let items = thread["items"].as_array().expect("items");
    assert!(items.len() >= 3, "top-level comments");
    assert!(
        items
            .iter()
            .any(|c| c["replies"].as_array().is_some_and(|r| !r.is_empty())),
        "nested replies"
    );
    assert!(
        items.iter().any(|c| c["score"].as_i64().unwrap_or(0) > 0),
        "votes"
    );
    assert_eq!(
        app.count("SELECT count(*) AS count FROM comment_votes")
            .await,
        20
    );
    let profile = app.get_json("/api/v1/users/minji_demo").await;
    assert!(profile["bio"]
        .as_str()
        .expect("bio")
        .contains("Demo account"));
    // The printed credentials work.
    json_with_status(
        app.post(
            "/api/v1/auth/login",
            &serde_json::json!({"login": "minji_demo", "password": "demo-reader-camellia-42"}),
        )
        .await,
        200,
    )
    .await;
}

#[tokio::test]
async fn seed_load_keeps_every_counter_equal_to_a_recount() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Load target", &[]).await;
    let existing = app.comment_id(&admin, &slug, "already here", None).await;
    let output = hindsight_bench(
        &app,
        &[
            "seed-load",
            "--article",
            &slug,
            "--comments",
            "3000",
            "--users",
            "40",
            "--seed",
            "9",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mismatched_replies = app
        .count(
            "SELECT count(*) AS count FROM comments c WHERE c.reply_count <> \
             (SELECT count(*) FROM comments k WHERE k.parent_id = c.id AND k.state = 'visible')",
        )
        .await;
    assert_eq!(mismatched_replies, 0);
    let mismatched_descendants = app
        .count(
            "SELECT count(*) AS count FROM comments c WHERE c.descendant_count <> \
             (SELECT count(*) FROM comments k WHERE c.id = ANY(k.path) AND k.state = 'visible')",
        )
        .await;
    assert_eq!(mismatched_descendants, 0);
    let article: Value = app.get_json(&format!("/api/v1/articles/{slug}")).await;
    assert_eq!(article["comment_count"], 3001);
    assert_eq!(
        app.count("SELECT max(depth)::bigint AS count FROM comments")
            .await,
        8
    );
    let top = app
        .count("SELECT count(*) AS count FROM comments WHERE parent_id IS NULL")
        .await;
    assert!((700..1100).contains(&top), "about 30 % top-level: {top}");
    assert_eq!(
        app.count("SELECT count(DISTINCT author_id) AS count FROM comments")
            .await,
        41
    );
    // Writing through the API afterwards keeps working (the sequence moved past the ids).
    app.comment_id(&admin, &slug, "after the load", Some(existing))
        .await;
}
