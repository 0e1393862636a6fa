//! HTTP caching (issue 19): ETags from the versions writes bump, 304s, Cache-Control and Vary,
//! the shared page cache (never stale, also across instances), and If-Match on PATCH.

use reqwest::header::{CACHE_CONTROL, ETAG, IF_MATCH, IF_NONE_MATCH, VARY};
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::*;

/// The ETag of a 200 GET (anonymous, or as `token`).
async fn etag_of(app: &TestApp, path: &str, token: Option<&str>) -> String {
    let mut request = app.request(Method::GET, path);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200, "GET {path}");
    header(&response, ETAG)
}

fn header(response: &Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(&name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// GET with `If-None-Match`.
async fn revalidate(app: &TestApp, path: &str, tag: &str, token: Option<&str>) -> Response {
    let mut request = app.request(Method::GET, path).header(IF_NONE_MATCH, tag);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

async fn vote(app: &TestApp, user: &TestUser, comment: i64, value: i64) {
    let response = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/comments/{comment}/vote"),
            Some(&user.token),
            &json!({"value": value}),
        )
        .await;
    assert_eq!(response.status(), 200);
}

struct World {
    app: TestApp,
    admin: TestUser,
    author: TestUser,
    reader: TestUser,
    slug: String,
    other: String,
    comment: i64,
    prediction: i64,
}

async fn world_with(adjust: impl FnOnce(&mut hindsight::config::Settings)) -> World {
    let app = TestApp::spawn_with(adjust).await;
    let admin = app.admin().await;
    let slug = app
        .create_article(&admin, "Cached thread", &["korea"])
        .await;
    let other = app
        .create_article(&admin, "Unrelated thread", &["korea"])
        .await;
    let author = app.register("cache_author").await;
    let reader = app.register("cache_reader").await;
    let comment = app.comment_id(&author, &slug, "First.", None).await;
    let resolves_at = (app.clock.now() + chrono::Duration::days(1)).to_rfc3339();
    let predicted = json_with_status(
        app.post_as(
            &author.token,
            &format!("/api/v1/articles/{slug}/comments"),
            &json!({"body": "My call.", "prediction": {
                "claim": "The summit ends with a signed deal", "probability": 0.6,
                "resolves_at": resolves_at, "criteria": "Official statements."
            }}),
        )
        .await,
        201,
    )
    .await;
    let prediction = predicted["prediction"]["id"].as_i64().expect("id");
    World {
        app,
        admin,
        author,
        reader,
        slug,
        other,
        comment,
        prediction,
    }
}

async fn world() -> World {
    world_with(|_| {}).await
}

impl World {
    /// Every cacheable GET of the world.
    fn paths(&self) -> Vec<String> {
        let (slug, c, p, u) = (
            &self.slug,
            self.comment,
            self.prediction,
            &self.author.username,
        );
        vec![
            format!("/api/v1/articles/{slug}/comments"),
            format!("/api/v1/articles/{slug}/comments?sort=new&limit=5"),
            format!("/api/v1/articles/{slug}/comments/flat"),
            format!("/api/v1/articles/{slug}"),
            format!("/api/v1/comments/{c}"),
            format!("/api/v1/comments/{c}/replies"),
            format!("/api/v1/predictions/{p}"),
            "/api/v1/predictions".to_owned(),
            format!("/api/v1/predictions/{p}/history"),
            format!("/api/v1/predictions/{p}/chart.svg"),
            "/api/v1/leaderboard".to_owned(),
            format!("/api/v1/users/{u}/track-record"),
            format!("/api/v1/users/{u}/calibration.svg"),
            format!("/api/v1/users/{u}"),
        ]
    }
}

#[tokio::test]
async fn every_cacheable_read_answers_304_to_its_own_etag_with_no_body() {
    let w = world().await;
    for path in w.paths() {
        let tag = etag_of(&w.app, &path, None).await;
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{path}: {tag}");
        let response = revalidate(&w.app, &path, &tag, None).await;
        assert_eq!(response.status(), 304, "{path}");
        assert_eq!(header(&response, ETAG), tag);
        assert!(response.bytes().await.expect("body").is_empty(), "{path}");
        let stale = revalidate(&w.app, &path, "\"something-else\"", None).await;
        assert_eq!(stale.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn anonymous_reads_are_public_and_signed_in_ones_private() {
    let w = world().await;
    let path = format!("/api/v1/articles/{}/comments", w.slug);
    let anonymous = w.app.get(&path).await;
    assert_eq!(
        header(&anonymous, CACHE_CONTROL),
        "public, max-age=5, s-maxage=10"
    );
    assert_eq!(header(&anonymous, VARY), "Authorization");
    let signed_in = w.app.get_as(&w.reader.token, &path).await;
    assert_eq!(header(&signed_in, CACHE_CONTROL), "private, no-cache");
    assert_eq!(header(&signed_in, VARY), "Authorization");
    assert_ne!(header(&anonymous, ETAG), header(&signed_in, ETAG));
    let tag = header(&signed_in, ETAG);
    let again = revalidate(&w.app, &path, &tag, Some(&w.reader.token)).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, CACHE_CONTROL), "private, no-cache");
    // A signed-in tag is not the anonymous page's.
    assert_eq!(revalidate(&w.app, &path, &tag, None).await.status(), 200);
    // Auth routes and other token requests stay unstored.
    let me = w.app.get_as(&w.reader.token, "/api/v1/me").await;
    assert_eq!(header(&me, CACHE_CONTROL), "no-store");
}

#[tokio::test]
async fn writes_move_the_tags_of_what_they_change_and_not_of_an_unrelated_thread() {
    let w = world().await;
    let thread = format!("/api/v1/articles/{}/comments", w.slug);
    let unrelated = format!("/api/v1/articles/{}/comments", w.other);
    let one = format!("/api/v1/comments/{}", w.comment);
    let profile = format!("/api/v1/users/{}", w.author.username);

    let mut thread_tag = etag_of(&w.app, &thread, None).await;
    let mut unrelated_tag = etag_of(&w.app, &unrelated, None).await;
    // `people`: the write changes what every page shows of people (a resolution moves the
    // authors' track records), so every thread's tag moves.
    let mut check = async |what: &str, people: bool| {
        let now = etag_of(&w.app, &thread, None).await;
        assert_ne!(now, thread_tag, "{what} kept the thread's tag");
        thread_tag = now;
        let other = etag_of(&w.app, &unrelated, None).await;
        if people {
            assert_ne!(
                other, unrelated_tag,
                "{what} kept an unrelated thread's tag"
            );
            unrelated_tag = other;
        } else {
            assert_eq!(other, unrelated_tag, "{what} moved an unrelated thread");
        }
    };

    w.app
        .comment_id(&w.reader, &w.slug, "A reply.", Some(w.comment))
        .await;
    check("a comment", false).await;

    let profile_tag = etag_of(&w.app, &profile, None).await;
    vote(&w.app, &w.reader, w.comment, 1).await;
    check("a vote", false).await;
    assert_ne!(
        etag_of(&w.app, &profile, None).await,
        profile_tag,
        "karma moved"
    );

    let edited = w
        .app
        .send_json(
            Method::PATCH,
            &one,
            Some(&w.author.token),
            &json!({"body": "Edited."}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    check("an edit", false).await;

    let forecast = w
        .app
        .send_json(
            Method::PUT,
            &format!("/api/v1/predictions/{}/forecast", w.prediction),
            Some(&w.reader.token),
            &json!({"probability": 0.3}),
        )
        .await;
    assert_eq!(forecast.status(), 200);
    check("a forecast", false).await;

    let board = etag_of(&w.app, "/api/v1/leaderboard", None).await;
    w.app.clock.advance(chrono::Duration::days(2));
    let admin = w.app.login(&w.admin).await;
    let resolved = w
        .app
        .post_as(
            &admin.token,
            &format!("/api/v1/predictions/{}/resolution", w.prediction),
            &json!({"outcome": "yes"}),
        )
        .await;
    assert!(resolved.status().is_success(), "{}", resolved.status());
    check("a resolution", true).await;
    assert_ne!(etag_of(&w.app, "/api/v1/leaderboard", None).await, board);

    let moderator = w.app.register_with_role("cache_mod", "moderator").await;
    let removed = w
        .app
        .post_as(
            &moderator.token,
            &format!("/api/v1/comments/{}/removal", w.comment),
            &json!({"reason": "spam"}),
        )
        .await;
    assert!(removed.status().is_success(), "{}", removed.status());
    check("a removal", false).await;
}

#[tokio::test]
async fn the_cached_page_is_never_stale_after_a_write_on_either_instance() {
    let w = world().await;
    let second = w.app.second_instance().await;
    let thread = format!("/api/v1/articles/{}/comments?sort=new", w.slug);
    let before = w.app.get_json(&thread).await;
    assert_eq!(
        w.app.get_json(&thread).await,
        before,
        "served again from the cache"
    );

    second
        .comment_id(&w.reader, &w.slug, "Through the other instance.", None)
        .await;
    let after = w.app.get_json(&thread).await;
    assert_eq!(after["items"][0]["body"], "Through the other instance.");

    vote(
        &second,
        &w.author,
        after["items"][0]["id"].as_i64().expect("id"),
        1,
    )
    .await;
    let voted = w.app.get_json(&thread).await;
    assert_eq!(voted["items"][0]["score"], 1);
    assert_eq!(second.get_json(&thread).await, voted);
}

#[tokio::test]
async fn a_signed_in_reader_sees_their_vote_and_the_anonymous_page_none() {
    let w = world().await;
    let thread = format!("/api/v1/articles/{}/comments", w.slug);
    w.app.get_json(&thread).await;
    vote(&w.app, &w.reader, w.comment, -1).await;
    let anonymous = w.app.get_json(&thread).await;
    let mine = json_with_status(w.app.get_as(&w.reader.token, &thread).await, 200).await;
    let find = |page: &Value| -> Value {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|c| c["id"] == w.comment)
            .expect("the comment")
            .clone()
    };
    assert_eq!(find(&anonymous)["my_vote"], Value::Null);
    assert_eq!(find(&mine)["my_vote"], -1);
    assert_eq!(find(&anonymous)["score"], -1);
}

#[tokio::test]
async fn with_the_cache_off_reads_and_tags_behave_the_same() {
    let w = world_with(|s| s.caching.cache_bytes = 0).await;
    let thread = format!("/api/v1/articles/{}/comments", w.slug);
    let tag = etag_of(&w.app, &thread, None).await;
    assert_eq!(revalidate(&w.app, &thread, &tag, None).await.status(), 304);
    w.app.comment_id(&w.reader, &w.slug, "Fresh.", None).await;
    let page = w.app.get_json(&thread).await;
    assert_eq!(page["items"].as_array().expect("items").len(), 3);
    assert_ne!(etag_of(&w.app, &thread, None).await, tag);
}

#[tokio::test]
async fn if_match_refuses_a_patch_on_a_moved_resource_and_lets_a_current_one_through() {
    let w = world().await;
    // A comment: the tag the author's GET gave.
    let one = format!("/api/v1/comments/{}", w.comment);
    let tag = etag_of(&w.app, &one, Some(&w.author.token)).await;
    let patch = async |path: &str, token: &str, tag: &str, body: Value| {
        w.app
            .request(Method::PATCH, path)
            .bearer_auth(token)
            .header(IF_MATCH, tag)
            .json(&body)
            .send()
            .await
            .expect("request")
    };
    let first = patch(&one, &w.author.token, &tag, json!({"body": "Tab one."})).await;
    assert_eq!(first.status(), 200);
    let second = patch(&one, &w.author.token, &tag, json!({"body": "Tab two."})).await;
    let problem = assert_problem(second, 412).await;
    assert_eq!(problem["type"], "/problems/precondition-failed");
    assert_eq!(w.app.get_json(&one).await["body"], "Tab one.");
    // The anonymous tag of the same version is accepted too.
    let anonymous = etag_of(&w.app, &one, None).await;
    let third = patch(
        &one,
        &w.author.token,
        &anonymous,
        json!({"body": "Tab three."}),
    )
    .await;
    assert_eq!(third.status(), 200);
    // No If-Match: as before.
    let plain = w
        .app
        .send_json(
            Method::PATCH,
            &one,
            Some(&w.author.token),
            &json!({"body": "Plain."}),
        )
        .await;
    assert_eq!(plain.status(), 200);

    // An article.
    let article = format!("/api/v1/articles/{}", w.slug);
    let tag = etag_of(&w.app, &article, None).await;
    let ok = patch(&article, &w.admin.token, &tag, json!({"title": "Retitled"})).await;
    assert_eq!(ok.status(), 200);
    let stale = patch(&article, &w.admin.token, &tag, json!({"title": "Again"})).await;
    assert_problem(stale, 412).await;

    // The own profile: the tag of GET /users/{username}.
    let profile = format!("/api/v1/users/{}", w.reader.username);
    let tag = etag_of(&w.app, &profile, None).await;
    let ok = patch(
        "/api/v1/me",
        &w.reader.token,
        &tag,
        json!({"bio": "Hello."}),
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_ne!(etag_of(&w.app, &profile, None).await, tag);
    let stale = patch(
        "/api/v1/me",
        &w.reader.token,
        &tag,
        json!({"bio": "Again."}),
    )
    .await;
    assert_problem(stale, 412).await;
}

#[tokio::test]
async fn the_overlay_keeps_removed_text_for_its_author_and_moderators_only() {
    let w = world().await;
    let thread = format!("/api/v1/articles/{}/comments", w.slug);
    let moderator = w.app.register_with_role("cache_mod2", "moderator").await;
    let removed = w
        .app
        .post_as(
            &moderator.token,
            &format!("/api/v1/comments/{}/removal", w.comment),
            &json!({"reason": "spam"}),
        )
        .await;
    assert!(removed.status().is_success());
    let body_of = |page: &Value| -> Value {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|c| c["id"] == w.comment)
            .map(|c| c["body"].clone())
            .unwrap_or(Value::Null)
    };
    // The anonymous page (now cached) hides the text ...
    assert_eq!(body_of(&w.app.get_json(&thread).await), Value::Null);
    assert_eq!(body_of(&w.app.get_json(&thread).await), Value::Null);
    // ... a reader's overlaid page too, while the author and a moderator still read it.
    let reader = json_with_status(w.app.get_as(&w.reader.token, &thread).await, 200).await;
    assert_eq!(body_of(&reader), Value::Null);
    let author = json_with_status(w.app.get_as(&w.author.token, &thread).await, 200).await;
    assert_eq!(body_of(&author), "First.");
    let modview = json_with_status(w.app.get_as(&moderator.token, &thread).await, 200).await;
    assert_eq!(body_of(&modview), "First.");
    // A single comment and a replies page are overlaid the same way.
    let other = w.app.comment_id(&w.author, &w.slug, "Second.", None).await;
    let reply = w
        .app
        .comment_id(&w.author, &w.slug, "Reply.", Some(other))
        .await;
    vote(&w.app, &w.reader, reply, 1).await;
    let one = format!("/api/v1/comments/{reply}");
    assert_eq!(w.app.get_json(&one).await["my_vote"], Value::Null);
    let mine = json_with_status(w.app.get_as(&w.reader.token, &one).await, 200).await;
    assert_eq!(mine["my_vote"], 1);
    let replies = format!("/api/v1/comments/{other}/replies");
    let page = json_with_status(w.app.get_as(&w.reader.token, &replies).await, 200).await;
    assert_eq!(page["items"][0]["my_vote"], 1);
    let page = json_with_status(w.app.get_as(&moderator.token, &replies).await, 200).await;
    assert_eq!(page["items"][0]["my_vote"], 0);
}

#[tokio::test]
async fn the_hot_rank_refresh_moves_the_tag_of_the_articles_it_reorders() {
    let w = world().await;
    let hot = format!("/api/v1/articles/{}/comments?sort=hot", w.slug);
    let unrelated = format!("/api/v1/articles/{}/comments?sort=hot", w.other);
    let (before, other_before) = (
        etag_of(&w.app, &hot, None).await,
        etag_of(&w.app, &unrelated, None).await,
    );
    w.app.clock.advance(chrono::Duration::hours(3));
    let mut conn = w.app.db().await;
    let moved = hindsight::comments::votes::refresh_hot(&mut conn, w.app.clock.now())
        .await
        .expect("refresh");
    assert!(moved >= 2, "{moved} ranks moved");
    assert_ne!(etag_of(&w.app, &hot, None).await, before);
    assert_eq!(etag_of(&w.app, &unrelated, None).await, other_before);
}
