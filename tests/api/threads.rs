//! Threaded comments through HTTP: writing, the tree page, paging, placeholders, history.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

struct Thread {
    app: TestApp,
    slug: String,
    alice: TestUser,
    bob: TestUser,
}

async fn thread() -> Thread {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app
        .create_article(&admin, "Summit thread", &["korea"])
        .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    Thread {
        app,
        slug,
        alice,
        bob,
    }
}

impl Thread {
    async fn post(&self, user: &TestUser, body: &str, parent: Option<i64>) -> i64 {
        self.app.clock.advance(chrono::Duration::seconds(1));
        self.app.comment_id(user, &self.slug, body, parent).await
    }

    async fn tree(&self, query: &str) -> Value {
        self.app
            .get_json(&format!("/api/v1/articles/{}/comments?{query}", self.slug))
            .await
    }

    async fn article(&self) -> Value {
        self.app
            .get_json(&format!("/api/v1/articles/{}", self.slug))
            .await
    }
}

#[tokio::test]
async fn a_comment_answers_with_every_field() {
    let t = thread().await;
    let comment = t
        .app
        .comment(&t.alice, &t.slug, "Trade will **double**.", None)
        .await;
    assert_eq!(comment["article_slug"], t.slug.as_str());
    assert_null(&comment, "parent_id");
    assert_eq!(comment["author"]["username"], "alice");
    assert_eq!(comment["body"], "Trade will **double**.");
    assert_eq!(
        comment["body_html"],
        "<p>Trade will <strong>double</strong>.</p>\n"
    );
    assert_eq!(comment["depth"], 0);
    assert_null(&comment, "edited_at");
    assert_eq!(comment["deleted"], false);
    assert_eq!(comment["removed"], false);
    assert_eq!(comment["replies"], json!([]));
    assert_eq!(comment["more_replies"], 0);
    assert_eq!(comment["reply_count"], 0);
    assert_eq!(comment["descendant_count"], 0);
    let id = comment["id"].as_i64().expect("id");
    let reply = t.app.comment(&t.bob, &t.slug, "Doubt it.", Some(id)).await;
    assert_eq!(reply["depth"], 1);
    assert_eq!(reply["parent_id"], id);
    let parent = t.app.get_json(&format!("/api/v1/comments/{id}")).await;
    assert_eq!(parent["reply_count"], 1);
    assert_eq!(parent["more_replies"], 1);
    assert_eq!(t.article().await["comment_count"], 2);
}

#[tokio::test]
async fn writing_needs_a_token_and_a_valid_body() {
    let t = thread().await;
    let path = format!("/api/v1/articles/{}/comments", t.slug);
    assert_problem(t.app.post(&path, &json!({"body": "hi"})).await, 401).await;
    for (body, code) in [
        (json!({"body": "   "}), "required"),
        (json!({"body": "x".repeat(10_001)}), "too_long"),
        (json!({"body": "bell\u{7}"}), "invalid_characters"),
    ] {
        let problem = assert_problem(t.app.post_as(&t.alice.token, &path, &body).await, 422).await;
        assert_eq!(problem_fields(&problem), vec![("body".into(), code.into())]);
    }
    // Exactly 10,000 characters after trimming is fine.
    let long = format!("  {}  ", "y".repeat(10_000));
    t.app.comment(&t.alice, &t.slug, &long, None).await;
    assert_eq!(
        t.app.count("SELECT count(*) AS count FROM comments").await,
        1
    );
    assert_problem(
        t.app
            .post_as(
                &t.alice.token,
                "/api/v1/articles/missing/comments",
                &json!({"body": "x"}),
            )
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn bodies_are_normalised_to_nfc_and_sanitised() {
    let t = thread().await;
    let comment = t
        .app
        .comment(
            &t.alice,
            &t.slug,
            "Cafe\u{0301} <script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://example.com)",
            None,
        )
        .await;
    let body = comment["body"].as_str().expect("body");
    assert!(body.starts_with("Caf\u{00e9} "), "NFC: {body:?}");
    let html = comment["body_html"].as_str().expect("html");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("onerror"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
}

#[tokio::test]
async fn replies_must_stay_in_their_article_and_under_live_comments() {
    let t = thread().await;
    let admin = t.app.register_with_role("second_admin", "admin").await;
    let other = t.app.create_article(&admin, "Other piece", &[]).await;
    let elsewhere = t.app.comment_id(&t.alice, &other, "Elsewhere", None).await;
    let path = format!("/api/v1/articles/{}/comments", t.slug);
    // An empty body and a foreign parent: one 422 names both.
    let problem = assert_problem(
        t.app
            .post_as(
                &t.bob.token,
                &path,
                &json!({"body": " ", "parent_id": elsewhere}),
            )
            .await,
        422,
    )
    .await;
    let fields: Vec<String> = problem_fields(&problem).into_iter().map(|f| f.0).collect();
    assert_eq!(fields, ["body", "parent_id"]);
    for parent in [elsewhere, 999_999] {
        let problem = assert_problem(
            t.app
                .post_as(
                    &t.bob.token,
                    &path,
                    &json!({"body": "reply", "parent_id": parent}),
                )
                .await,
            422,
        )
        .await;
        assert_eq!(problem_fields(&problem)[0].0, "parent_id");
    }
    let gone = t.post(&t.alice, "to delete", None).await;
    let response = t
        .app
        .request(Method::DELETE, &format!("/api/v1/comments/{gone}"))
        .bearer_auth(&t.alice.token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    assert_problem(
        t.app
            .post_as(
                &t.bob.token,
                &path,
                &json!({"body": "reply", "parent_id": gone}),
            )
            .await,
        409,
    )
    .await;
    assert_eq!(
        t.app.count("SELECT count(*) AS count FROM comments").await,
        2
    );
}

#[tokio::test]
async fn nesting_goes_at_least_64_levels_deep() {
    let t = thread().await;
    let mut parent = None;
    for level in 0..70 {
        parent = Some(
            t.app
                .comment_id(&t.alice, &t.slug, &format!("level {level}"), parent)
                .await,
        );
    }
    let deepest = t
        .app
        .get_json(&format!("/api/v1/comments/{}", parent.expect("id")))
        .await;
    assert_eq!(deepest["depth"], 69);
    let tree = t.tree("depth=10&replies_limit=1").await;
    let root = &tree["items"][0];
    assert_eq!(root["descendant_count"], 69);
    let mut node = root;
    for _ in 0..9 {
        node = &node["replies"][0];
    }
    assert_eq!(node["depth"], 9);
    assert_eq!(node["replies"], json!([]));
    assert_eq!(node["more_replies"], 1);
}

#[tokio::test]
async fn the_tree_orders_every_level_and_cuts_by_depth_and_replies_limit() {
    let t = thread().await;
    let a = t.post(&t.alice, "A", None).await;
    let b = t.post(&t.bob, "B", None).await;
    let a1 = t.post(&t.bob, "A1", Some(a)).await;
    let a2 = t.post(&t.bob, "A2", Some(a)).await;
    let a3 = t.post(&t.bob, "A3", Some(a)).await;
    let a1x = t.post(&t.alice, "A1x", Some(a1)).await;
    let a1y = t.post(&t.alice, "A1y", Some(a1)).await;

    let new = t.tree("").await;
    assert_eq!(ids(&new["items"]), vec![b, a]);
    let a_node = &new["items"][1];
    assert_eq!(ids(&a_node["replies"]), vec![a3, a2, a1]);
    assert_eq!(ids(&a_node["replies"][2]["replies"]), vec![a1y, a1x]);
    assert_eq!(a_node["reply_count"], 3);
    assert_eq!(a_node["descendant_count"], 5);
    assert_eq!(a_node["more_replies"], 0);

    let old = t.tree("sort=old").await;
    assert_eq!(ids(&old["items"]), vec![a, b]);
    assert_eq!(ids(&old["items"][0]["replies"]), vec![a1, a2, a3]);
    assert_eq!(
        ids(&old["items"][0]["replies"][0]["replies"]),
        vec![a1x, a1y]
    );

    let cut = t.tree("sort=old&replies_limit=2&depth=2").await;
    let a_node = &cut["items"][0];
    assert_eq!(ids(&a_node["replies"]), vec![a1, a2]);
    assert_eq!(a_node["more_replies"], 1, "A3 cut by replies_limit");
    assert_eq!(a_node["replies"][0]["replies"], json!([]));
    assert_eq!(
        a_node["replies"][0]["more_replies"], 2,
        "A1's replies cut by depth"
    );

    let top_only = t.tree("depth=1").await;
    assert_eq!(top_only["items"][1]["replies"], json!([]));
    assert_eq!(top_only["items"][1]["more_replies"], 3);

    let none = t.tree("sort=old&replies_limit=0").await;
    assert_eq!(none["items"][0]["more_replies"], 3);
}

#[tokio::test]
async fn out_of_range_parameters_and_foreign_cursors_are_422() {
    let t = thread().await;
    t.post(&t.alice, "A", None).await;
    t.post(&t.alice, "B", None).await;
    for query in [
        "limit=0",
        "limit=101",
        "depth=0",
        "depth=11",
        "replies_limit=51",
        "sort=sideways",
        "limit=abc",
        "cursor=garbage",
    ] {
        let response = t
            .app
            .get(&format!("/api/v1/articles/{}/comments?{query}", t.slug))
            .await;
        let problem = assert_problem(response, 422).await;
        let field = query.split('=').next().expect("name");
        assert_eq!(problem_fields(&problem)[0].0, field, "{query}");
    }
    // A hand-made cursor with a timestamp PostgreSQL would reject is still a 422.
    use base64::Engine;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"{{"l":"tree:{}","s":"new","k":"0000-01-01T00:00:00Z","i":1}}"#,
        t.slug
    ));
    let response = t
        .app
        .get(&format!(
            "/api/v1/articles/{}/comments?cursor={forged}",
            t.slug
        ))
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 422).await)[0].0,
        "cursor"
    );
    let page = t.tree("limit=1").await;
    let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let other_sort = t
        .app
        .get(&format!(
            "/api/v1/articles/{}/comments?sort=old&cursor={cursor}",
            t.slug
        ))
        .await;
    assert_problem(other_sort, 422).await;
    let other_list = t
        .app
        .get(&format!(
            "/api/v1/articles/{}/comments/flat?cursor={cursor}",
            t.slug
        ))
        .await;
    assert_problem(other_list, 422).await;
}

#[tokio::test]
async fn cursor_paging_over_the_top_level_has_no_duplicates_or_gaps() {
    let t = thread().await;
    let mut expected = Vec::new();
    for i in 0..11 {
        // Pairs share a timestamp, so ties are broken by id.
        if i % 2 == 0 {
            t.app.clock.advance(chrono::Duration::seconds(1));
        }
        let id = t
            .app
            .comment_id(&t.alice, &t.slug, &format!("top {i}"), None)
            .await;
        expected.push(id);
        t.app.comment_id(&t.bob, &t.slug, "a reply", Some(id)).await;
    }
    for (sort, order) in [("new", true), ("old", false)] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("sort={sort}&limit=3&cursor={c}"),
                None => format!("sort={sort}&limit=3"),
            };
            let page = t.tree(&query).await;
            seen.extend(ids(&page["items"]));
            pages += 1;
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut want = expected.clone();
        if order {
            want.sort_by(|a, b| b.cmp(a));
        }
        assert_eq!(seen, want, "{sort}");
        assert_eq!(pages, 4, "{sort}");
    }
}

#[tokio::test]
async fn a_page_holds_at_most_500_comments_and_counts_the_rest() {
    let t = thread().await;
    let mut roots = Vec::new();
    for i in 0..10 {
        roots.push(
            t.app
                .comment_id(&t.alice, &t.slug, &format!("root {i}"), None)
                .await,
        );
    }
    // 10 roots × 50 replies = 510 comments; a page of everything would hold 510.
    let mut posts = Vec::new();
    for root in &roots {
        for i in 0..50 {
            let app = &t.app;
            let bob = &t.bob;
            let slug = &t.slug;
            let root = *root;
            posts.push(async move {
                app.comment_id(bob, slug, &format!("reply {i}"), Some(root))
                    .await
            });
        }
    }
    use futures_util::StreamExt;
    futures_util::stream::iter(posts)
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let page = t.tree("limit=10&replies_limit=50&depth=2").await;
    let items = page["items"].as_array().expect("items");
    let shown: usize = items.len()
        + items
            .iter()
            .map(|r| r["replies"].as_array().map_or(0, Vec::len))
            .sum::<usize>();
    assert_eq!(shown, 500);
    let more: i64 = items
        .iter()
        .map(|r| r["more_replies"].as_i64().expect("more"))
        .sum();
    assert_eq!(more, 10, "the 10 cut replies are counted");
    for root in items {
        let replies = root["replies"].as_array().map_or(0, Vec::len) as i64;
        assert_eq!(replies + root["more_replies"].as_i64().expect("more"), 50);
    }
}

#[tokio::test]
async fn continue_this_thread_pages_the_replies_of_one_comment() {
    let t = thread().await;
    let root = t.post(&t.alice, "root", None).await;
    let mut children = Vec::new();
    for i in 0..7 {
        children.push(t.post(&t.bob, &format!("child {i}"), Some(root)).await);
    }
    let grandchild = t.post(&t.alice, "grandchild", Some(children[0])).await;
    let first = t
        .app
        .get_json(&format!("/api/v1/comments/{root}/replies?sort=old&limit=5"))
        .await;
    assert_eq!(ids(&first["items"]), children[..5].to_vec());
    assert_eq!(ids(&first["items"][0]["replies"]), vec![grandchild]);
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let second = t
        .app
        .get_json(&format!(
            "/api/v1/comments/{root}/replies?sort=old&limit=5&cursor={cursor}"
        ))
        .await;
    assert_eq!(ids(&second["items"]), children[5..].to_vec());
    assert_null(&second, "next_cursor");
    let shallow = t
        .app
        .get_json(&format!("/api/v1/comments/{root}/replies?sort=old&depth=1"))
        .await;
    assert_eq!(shallow["items"][0]["more_replies"], 1);
    assert_problem(t.app.get("/api/v1/comments/999999/replies").await, 404).await;
}

#[tokio::test]
async fn the_flat_view_lists_every_listed_comment() {
    let t = thread().await;
    let a = t.post(&t.alice, "A", None).await;
    let a1 = t.post(&t.bob, "A1", Some(a)).await;
    let b = t.post(&t.bob, "B", None).await;
    let lone = t.post(&t.alice, "deleted without replies", None).await;
    t.app
        .request(Method::DELETE, &format!("/api/v1/comments/{lone}"))
        .bearer_auth(&t.alice.token)
        .send()
        .await
        .expect("request");
    let flat = t
        .app
        .get_json(&format!("/api/v1/articles/{}/comments/flat", t.slug))
        .await;
    assert_eq!(ids(&flat["items"]), vec![b, a1, a]);
    let old = t
        .app
        .get_json(&format!(
            "/api/v1/articles/{}/comments/flat?sort=old&limit=2",
            t.slug
        ))
        .await;
    assert_eq!(ids(&old["items"]), vec![a, a1]);
    let cursor = old["next_cursor"].as_str().expect("cursor");
    let rest = t
        .app
        .get_json(&format!(
            "/api/v1/articles/{}/comments/flat?sort=old&limit=2&cursor={cursor}",
            t.slug
        ))
        .await;
    assert_eq!(ids(&rest["items"]), vec![b]);
}

#[tokio::test]
async fn deleted_comments_stay_as_placeholders_only_while_they_have_live_replies() {
    let t = thread().await;
    let parent = t.post(&t.alice, "parent", None).await;
    let reply = t.post(&t.bob, "reply", Some(parent)).await;
    let lonely = t.post(&t.alice, "lonely", None).await;
    let delete = |user: &TestUser, id: i64| {
        t.app
            .request(Method::DELETE, &format!("/api/v1/comments/{id}"))
            .bearer_auth(&user.token)
            .send()
    };
    assert_problem(delete(&t.bob, parent).await.expect("request"), 403).await;
    assert_eq!(
        delete(&t.alice, parent).await.expect("request").status(),
        204
    );
    assert_eq!(
        delete(&t.alice, lonely).await.expect("request").status(),
        204
    );
    assert_eq!(
        delete(&t.alice, lonely).await.expect("request").status(),
        204,
        "repeatable"
    );

    let tree = t.tree("").await;
    assert_eq!(
        ids(&tree["items"]),
        vec![parent],
        "the lonely deleted comment is left out"
    );
    let placeholder = &tree["items"][0];
    assert_eq!(placeholder["deleted"], true);
    assert_null(placeholder, "body");
    assert_null(placeholder, "body_html");
    assert_null(placeholder, "author");
    assert_eq!(ids(&placeholder["replies"]), vec![reply]);
    assert_eq!(t.article().await["comment_count"], 1);
    let single = t.app.get_json(&format!("/api/v1/comments/{lonely}")).await;
    assert_eq!(single["deleted"], true);

    // Once the last live reply goes, the placeholder goes too.
    assert_eq!(delete(&t.bob, reply).await.expect("request").status(), 204);
    let tree = t.tree("").await;
    assert_eq!(tree["items"], json!([]));
    assert_eq!(t.article().await["comment_count"], 0);
}

#[tokio::test]
async fn more_replies_counts_only_comments_that_would_be_listed() {
    let t = thread().await;
    let root = t.post(&t.alice, "root", None).await;
    let gone = t.post(&t.bob, "gone", Some(root)).await;
    let kept = t.post(&t.bob, "kept", Some(root)).await;
    let holder = t.post(&t.bob, "holder", Some(root)).await;
    t.post(&t.alice, "under holder", Some(holder)).await;
    for id in [gone, holder] {
        t.app
            .request(Method::DELETE, &format!("/api/v1/comments/{id}"))
            .bearer_auth(&t.bob.token)
            .send()
            .await
            .expect("request");
    }
    let top = t.tree("depth=1").await;
    // Listed children: kept (live) and holder (placeholder); gone is not listed.
    assert_eq!(top["items"][0]["more_replies"], 2);
    assert_eq!(top["items"][0]["reply_count"], 1);
    let full = t.tree("sort=old").await;
    assert_eq!(ids(&full["items"][0]["replies"]), vec![kept, holder]);
}

#[tokio::test]
async fn authors_edit_and_the_history_is_kept_for_author_and_moderators() {
    let t = thread().await;
    let id = t.post(&t.alice, "first version", None).await;
    let patch = |user: &TestUser, body: Value| {
        t.app
            .request(Method::PATCH, &format!("/api/v1/comments/{id}"))
            .bearer_auth(&user.token)
            .json(&body)
            .send()
    };
    assert_problem(
        patch(&t.bob, json!({"body": "hijack"}))
            .await
            .expect("request"),
        403,
    )
    .await;
    assert_problem(patch(&t.alice, json!({})).await.expect("request"), 422).await;
    assert_problem(
        patch(&t.alice, json!({"body": ""})).await.expect("request"),
        422,
    )
    .await;
    t.app.clock.advance(chrono::Duration::minutes(5));
    let edited = json_with_status(
        patch(&t.alice, json!({"body": "second *version*"}))
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(edited["body"], "second *version*");
    assert!(edited["edited_at"].is_string());
    json_with_status(
        patch(&t.alice, json!({"body": "third version"}))
            .await
            .expect("request"),
        200,
    )
    .await;

    let path = format!("/api/v1/comments/{id}/edits");
    let history = json_with_status(t.app.get_as(&t.alice.token, &path).await, 200).await;
    let bodies: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["body"].as_str().expect("body"))
        .collect();
    assert_eq!(bodies, ["first version", "second *version*"]);
    assert_problem(t.app.get_as(&t.bob.token, &path).await, 403).await;
    assert_problem(t.app.get(&path).await, 401).await;
    let moderator = t.app.register_with_role("moddy", "moderator").await;
    json_with_status(t.app.get_as(&moderator.token, &path).await, 200).await;

    t.app
        .request(Method::DELETE, &format!("/api/v1/comments/{id}"))
        .bearer_auth(&t.alice.token)
        .send()
        .await
        .expect("request");
    assert_problem(
        patch(&t.alice, json!({"body": "after delete"}))
            .await
            .expect("request"),
        409,
    )
    .await;
}

#[tokio::test]
async fn a_users_history_lists_live_comments_newest_first_with_their_article() {
    let t = thread().await;
    let first = t.post(&t.alice, "one", None).await;
    let second = t.post(&t.alice, "two", Some(first)).await;
    let third = t.post(&t.alice, "three", None).await;
    t.post(&t.bob, "not alice", None).await;
    t.app
        .request(Method::DELETE, &format!("/api/v1/comments/{third}"))
        .bearer_auth(&t.alice.token)
        .send()
        .await
        .expect("request");
    let page = t.app.get_json("/api/v1/users/ALICE/comments?limit=1").await;
    assert_eq!(ids(&page["items"]), vec![second]);
    assert_eq!(page["items"][0]["article"]["slug"], t.slug.as_str());
    assert_eq!(page["items"][0]["article"]["title"], "Summit thread");
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let rest = t
        .app
        .get_json(&format!(
            "/api/v1/users/alice/comments?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(ids(&rest["items"]), vec![first]);
    assert_problem(t.app.get("/api/v1/users/nobody/comments").await, 404).await;
}

#[tokio::test]
async fn counters_follow_every_write() {
    let t = thread().await;
    let root = t.post(&t.alice, "root", None).await;
    let child = t.post(&t.bob, "child", Some(root)).await;
    let grandchild = t.post(&t.alice, "grandchild", Some(child)).await;
    t.post(&t.bob, "great", Some(grandchild)).await;
    let get = |id: i64| {
        let path = format!("/api/v1/comments/{id}");
        let app = &t.app;
        async move { app.get_json(&path).await }
    };
    let r = get(root).await;
    assert_eq!(
        (r["reply_count"].as_i64(), r["descendant_count"].as_i64()),
        (Some(1), Some(3))
    );
    t.app
        .request(Method::DELETE, &format!("/api/v1/comments/{grandchild}"))
        .bearer_auth(&t.alice.token)
        .send()
        .await
        .expect("request");
    let r = get(root).await;
    assert_eq!(r["descendant_count"], 2);
    let c = get(child).await;
    assert_eq!(
        (c["reply_count"].as_i64(), c["descendant_count"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(t.article().await["comment_count"], 3);
    assert_problem(t.app.get("/api/v1/comments/abc").await, 404).await;
}
