//! Moderation through HTTP: each action with its permission matrix, bans, reports, the log.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

struct Board {
    app: TestApp,
    slug: String,
    reader: TestUser,
    other: TestUser,
    moderator: TestUser,
    second_moderator: TestUser,
    admin: TestUser,
}

async fn board() -> Board {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Moderated", &["korea"]).await;
    let reader = app.register("plain_reader").await;
    let other = app.register("other_reader").await;
    let moderator = app.register_with_role("mod_one", "moderator").await;
    let second_moderator = app.register_with_role("mod_two", "moderator").await;
    Board {
        app,
        slug,
        reader,
        other,
        moderator,
        second_moderator,
        admin,
    }
}

impl Board {
    async fn send(
        &self,
        user: Option<&TestUser>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.app.request(method, path);
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    async fn log_count(&self, action: &str) -> i64 {
        self.app
            .count(&format!(
                "SELECT count(*) AS count FROM mod_actions WHERE action = '{action}'"
            ))
            .await
    }
}

#[tokio::test]
async fn removal_follows_the_permission_matrix_and_hides_text_from_readers() {
    let b = board().await;
    let comment = b
        .app
        .comment_id(&b.reader, &b.slug, "A rude remark", None)
        .await;
    let reply = b
        .app
        .comment_id(&b.other, &b.slug, "A reply that stays", Some(comment))
        .await;
    let path = format!("/api/v1/comments/{comment}/removal");
    let body = json!({"reason": "Personal attack"});
    assert_problem(
        b.send(None, Method::POST, &path, Some(body.clone())).await,
        401,
    )
    .await;
    assert_problem(
        b.send(Some(&b.reader), Method::POST, &path, Some(body.clone()))
            .await,
        403,
    )
    .await;
    assert_problem(
        b.send(Some(&b.other), Method::POST, &path, Some(body.clone()))
            .await,
        403,
    )
    .await;
    assert_eq!(
        b.log_count("remove_comment").await,
        0,
        "refusals write no log row"
    );
    let removed = json_with_status(
        b.send(Some(&b.moderator), Method::POST, &path, Some(body.clone()))
            .await,
        200,
    )
    .await;
    assert_eq!(removed["removed"], true);
    assert_eq!(removed["removal_reason"], "Personal attack");
    assert_eq!(
        removed["body"], "A rude remark",
        "moderators still see the text"
    );
    assert_eq!(b.log_count("remove_comment").await, 1);

    let public = b.app.get_json(&format!("/api/v1/comments/{comment}")).await;
    assert_eq!(public["removed"], true);
    assert_null(&public, "body");
    assert_null(&public, "author");
    assert_null(&public, "removal_reason");
    let own = json_with_status(
        b.app
            .get_as(&b.reader.token, &format!("/api/v1/comments/{comment}"))
            .await,
        200,
    )
    .await;
    assert_eq!(
        own["body"], "A rude remark",
        "the author still sees their text"
    );
    assert_eq!(own["removal_reason"], "Personal attack");
    let tree = b
        .app
        .get_json(&format!("/api/v1/articles/{}/comments", b.slug))
        .await;
    assert_eq!(
        ids(&tree["items"][0]["replies"]),
        vec![reply],
        "replies stay"
    );
    // No new replies or votes on a removed comment.
    assert_problem(
        b.app
            .post_as(
                &b.other.token,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({"body": "x", "parent_id": comment}),
            )
            .await,
        409,
    )
    .await;
    assert_problem(
        b.app
            .send_json(
                Method::PUT,
                &format!("/api/v1/comments/{comment}/vote"),
                Some(&b.other.token),
                &json!({"value": 1}),
            )
            .await,
        409,
    )
    .await;
    assert_problem(
        b.send(Some(&b.moderator), Method::POST, &path, Some(body))
            .await,
        409,
    )
    .await;

    let restored = json_with_status(
        b.send(Some(&b.admin), Method::DELETE, &path, None).await,
        200,
    )
    .await;
    assert_eq!(restored["removed"], false);
    assert_eq!(b.log_count("restore_comment").await, 1);
    assert_eq!(
        b.app
            .get_json(&format!("/api/v1/articles/{}", b.slug))
            .await["comment_count"],
        2
    );
}

#[tokio::test]
async fn moderators_cannot_act_against_moderators_or_admins() {
    let b = board().await;
    let by_mod = b
        .app
        .comment_id(&b.second_moderator, &b.slug, "by a moderator", None)
        .await;
    let by_admin = b
        .app
        .comment_id(&b.admin, &b.slug, "by an admin", None)
        .await;
    let own = b
        .app
        .comment_id(&b.moderator, &b.slug, "my own", None)
        .await;
    let remove = |id: i64, user: &TestUser| {
        let path = format!("/api/v1/comments/{id}/removal");
        let (app, token) = (&b.app, user.token.clone());
        async move {
            app.send_json(
                Method::POST,
                &path,
                Some(&token),
                &json!({"reason": "test"}),
            )
            .await
        }
    };
    assert_problem(remove(by_mod, &b.moderator).await, 403).await;
    assert_problem(remove(by_admin, &b.moderator).await, 403).await;
    json_with_status(remove(own, &b.moderator).await, 200).await;
    json_with_status(remove(by_mod, &b.admin).await, 200).await;
    let ban = |name: &str, user: &TestUser| {
        let path = format!("/api/v1/users/{name}/ban");
        let (app, token) = (&b.app, user.token.clone());
        async move {
            app.send_json(
                Method::POST,
                &path,
                Some(&token),
                &json!({"reason": "test"}),
            )
            .await
        }
    };
    assert_problem(ban("mod_two", &b.moderator).await, 403).await;
    assert_problem(ban("editor_admin", &b.moderator).await, 403).await;
    assert_problem(ban("mod_one", &b.moderator).await, 403).await;
    assert_problem(ban("editor_admin", &b.admin).await, 403).await;
    assert_problem(ban("nobody_here", &b.moderator).await, 404).await;
    assert_eq!(b.log_count("ban_user").await, 0);
    assert_eq!(b.log_count("remove_comment").await, 2);
}

#[tokio::test]
async fn a_locked_thread_refuses_comments_and_edits_but_not_votes_or_forecasts() {
    let b = board().await;
    let comment = b
        .app
        .comment_id(&b.reader, &b.slug, "before the lock", None)
        .await;
    let prediction = b
        .app
        .post_as(
            &b.reader.token,
            &format!("/api/v1/articles/{}/comments", b.slug),
            &json!({
        "body": "call", "prediction": {"claim": "Something will happen soon", "probability": 0.5,
        "resolves_at": (b.app.clock.now() + chrono::Duration::days(3)).to_rfc3339()}}),
        )
        .await;
    let prediction = json_with_status(prediction, 201).await["prediction"]["id"]
        .as_i64()
        .expect("id");
    let path = format!("/api/v1/articles/{}/lock", b.slug);
    assert_problem(
        b.send(
            Some(&b.reader),
            Method::PUT,
            &path,
            Some(json!({"locked": true, "reason": "x"})),
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        b.send(
            Some(&b.moderator),
            Method::PUT,
            &path,
            Some(json!({"locked": true})),
        )
        .await,
        422,
    )
    .await;
    let article = json_with_status(
        b.send(
            Some(&b.moderator),
            Method::PUT,
            &path,
            Some(json!({"locked": true, "reason": "Heated"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(article["locked"], true);
    assert_eq!(article["lock_reason"], "Heated");
    let refused = assert_problem(
        b.app
            .post_as(
                &b.other.token,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({"body": "late"}),
            )
            .await,
        403,
    )
    .await;
    assert_eq!(refused["type"], "/problems/thread-locked");
    assert_problem(
        b.app
            .post_as(
                &b.other.token,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({"body": "late", "parent_id": comment}),
            )
            .await,
        403,
    )
    .await;
    assert_problem(
        b.app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/comments/{comment}"),
                Some(&b.reader.token),
                &json!({"body": "edit"}),
            )
            .await,
        403,
    )
    .await;
    json_with_status(
        b.app
            .send_json(
                Method::PUT,
                &format!("/api/v1/comments/{comment}/vote"),
                Some(&b.other.token),
                &json!({"value": 1}),
            )
            .await,
        200,
    )
    .await;
    json_with_status(
        b.app
            .send_json(
                Method::PUT,
                &format!("/api/v1/predictions/{prediction}/forecast"),
                Some(&b.other.token),
                &json!({"probability": 0.3}),
            )
            .await,
        200,
    )
    .await;
    let unlocked = json_with_status(
        b.send(
            Some(&b.moderator),
            Method::PUT,
            &path,
            Some(json!({"locked": false})),
        )
        .await,
        200,
    )
    .await;
    assert_null(&unlocked, "lock_reason");
    assert_eq!(b.log_count("lock_article").await, 1);
    assert_eq!(b.log_count("unlock_article").await, 1);
    b.app
        .comment_id(&b.other, &b.slug, "after the unlock", None)
        .await;
}

#[tokio::test]
async fn pins_come_first_on_the_first_page_only_and_never_repeat() {
    let b = board().await;
    let mut top = Vec::new();
    for i in 0..8 {
        b.app.clock.advance(chrono::Duration::seconds(1));
        top.push(
            b.app
                .comment_id(&b.reader, &b.slug, &format!("top {i}"), None)
                .await,
        );
    }
    let reply = b
        .app
        .comment_id(&b.other, &b.slug, "a reply", Some(top[0]))
        .await;
    let pin = |id: i64, pinned: bool| {
        let path = format!("/api/v1/comments/{id}/pin");
        let (app, token) = (&b.app, b.moderator.token.clone());
        async move {
            app.send_json(Method::PUT, &path, Some(&token), &json!({"pinned": pinned}))
                .await
        }
    };
    assert_problem(pin(reply, true).await, 422).await;
    // Pin the oldest and then the third oldest: earliest pinned first.
    for id in [top[0], top[2], top[4]] {
        b.app.clock.advance(chrono::Duration::seconds(1));
        let pinned = json_with_status(pin(id, true).await, 200).await;
        assert_eq!(pinned["pinned"], true);
    }
    assert_problem(pin(top[6], true).await, 409).await;
    assert_problem(
        b.send(
            Some(&b.reader),
            Method::PUT,
            &format!("/api/v1/comments/{}/pin", top[6]),
            Some(json!({"pinned": true})),
        )
        .await,
        403,
    )
    .await;
    for sort in ["new", "old", "top", "best"] {
        let mut seen = Vec::new();
        let first = b
            .app
            .get_json(&format!(
                "/api/v1/articles/{}/comments?sort={sort}&limit=2",
                b.slug
            ))
            .await;
        let first_ids = ids(&first["items"]);
        assert_eq!(
            first_ids[..3],
            [top[0], top[2], top[4]],
            "{sort}: pinned first, earliest pinned first"
        );
        assert_eq!(
            first_ids.len(),
            5,
            "{sort}: pins come before the limit of others"
        );
        seen.extend(first_ids);
        let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
        while let Some(c) = cursor {
            let page = b
                .app
                .get_json(&format!(
                    "/api/v1/articles/{}/comments?sort={sort}&limit=2&cursor={c}",
                    b.slug
                ))
                .await;
            seen.extend(ids(&page["items"]));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), seen.len(), "{sort}: nothing repeats");
        assert_eq!(seen.len(), 8, "{sort}: nothing is skipped");
    }
    let flat = b
        .app
        .get_json(&format!(
            "/api/v1/articles/{}/comments/flat?sort=new&limit=3",
            b.slug
        ))
        .await;
    assert_eq!(ids(&flat["items"])[0], reply, "the flat view ignores pins");
    json_with_status(pin(top[0], false).await, 200).await;
    assert_eq!(b.log_count("pin_comment").await, 3);
    assert_eq!(b.log_count("unpin_comment").await, 1);
}

#[tokio::test]
async fn a_ban_stops_contributions_at_once_and_lapses_by_itself() {
    let b = board().await;
    let victim_comment = b.app.comment_id(&b.other, &b.slug, "target", None).await;
    let own = b.app.comment_id(&b.reader, &b.slug, "mine", None).await;
    let token_before_ban = b.reader.token.clone();
    let expires = (b.app.clock.now() + chrono::Duration::days(1)).to_rfc3339();
    let past = (b.app.clock.now() - chrono::Duration::days(1)).to_rfc3339();
    let path = "/api/v1/users/plain_reader/ban";
    let problem = assert_problem(
        b.send(
            Some(&b.moderator),
            Method::POST,
            path,
            Some(json!({"reason": "Spam", "expires_at": past})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem)[0].0, "expires_at");
    assert_eq!(
        b.send(
            Some(&b.moderator),
            Method::POST,
            path,
            Some(json!({"reason": "Spam", "expires_at": expires}))
        )
        .await
        .status(),
        204
    );

    let refused = assert_problem(
        b.app
            .post_as(
                &token_before_ban,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({"body": "more spam"}),
            )
            .await,
        403,
    )
    .await;
    assert_eq!(refused["type"], "/problems/banned");
    assert_eq!(refused["ban_reason"], "Spam");
    assert!(refused["banned_until"].is_string());
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/comments/{own}"),
            json!({"body": "edit"}),
        ),
        (
            Method::PUT,
            format!("/api/v1/comments/{victim_comment}/vote"),
            json!({"value": -1}),
        ),
        (
            Method::POST,
            format!("/api/v1/comments/{victim_comment}/reports"),
            json!({"reason": "x"}),
        ),
        (
            Method::PATCH,
            "/api/v1/me".to_owned(),
            json!({"bio": "new"}),
        ),
    ] {
        assert_problem(
            b.app
                .send_json(method, &path, Some(&token_before_ban), &body)
                .await,
            403,
        )
        .await;
    }
    let me = json_with_status(b.app.get_as(&token_before_ban, "/api/v1/me").await, 200).await;
    assert_eq!(me["ban_reason"], "Spam");
    assert!(me["banned_until"].is_string());
    // Still allowed: deleting own comments, logging in, changing the password.
    assert_eq!(
        b.send(
            Some(&b.reader),
            Method::DELETE,
            &format!("/api/v1/comments/{own}"),
            None
        )
        .await
        .status(),
        204
    );
    let relogged = b.app.login(&b.reader).await;
    assert_eq!(
        b.app.post_as(&relogged.token, "/api/v1/me/password", &json!({"current_password": STRONG_PASSWORD, "new_password": "another-strong-secret-77"})).await.status(),
        204
    );
    // The ban lapses by the service's clock.
    b.app
        .clock
        .advance(chrono::Duration::days(1) + chrono::Duration::seconds(1));
    let fresh = json_with_status(
        b.app
            .post(
                "/api/v1/auth/login",
                &json!({"login": "plain_reader", "password": "another-strong-secret-77"}),
            )
            .await,
        200,
    )
    .await;
    assert_null(&fresh["user"], "banned_until");
    let token = fresh["access_token"].as_str().expect("token");
    json_with_status(
        b.app
            .post_as(
                token,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({"body": "back"}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(b.log_count("ban_user").await, 1);
}

#[tokio::test]
async fn a_ban_can_remove_all_content_in_one_logged_action_and_be_lifted() {
    let b = board().await;
    for i in 0..3 {
        b.app
            .comment_id(&b.reader, &b.slug, &format!("spam {i}"), None)
            .await;
    }
    b.app.comment_id(&b.other, &b.slug, "innocent", None).await;
    let path = "/api/v1/users/PLAIN_READER/ban";
    assert_eq!(
        b.send(
            Some(&b.moderator),
            Method::POST,
            path,
            Some(json!({"reason": "Spam wave", "remove_content": true}))
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        b.app
            .count("SELECT count(*) AS count FROM comments WHERE state = 'removed'")
            .await,
        3
    );
    assert_eq!(
        b.app
            .get_json(&format!("/api/v1/articles/{}", b.slug))
            .await["comment_count"],
        1
    );
    assert_eq!(
        b.app
            .count("SELECT count(*) AS count FROM mod_actions")
            .await,
        1,
        "one action in the log"
    );
    let me = json_with_status(b.app.get_as(&b.reader.token, "/api/v1/me").await, 200).await;
    // A ban without an end date is permanent.
    assert_null(&me, "banned_until");
    assert_eq!(me["ban_reason"], "Spam wave");
    assert_problem(
        b.send(Some(&b.reader), Method::DELETE, path, None).await,
        403,
    )
    .await;
    assert_eq!(
        b.send(Some(&b.moderator), Method::DELETE, path, None)
            .await
            .status(),
        204
    );
    assert_problem(
        b.send(Some(&b.moderator), Method::DELETE, path, None).await,
        409,
    )
    .await;
    assert_eq!(b.log_count("unban_user").await, 1);
    json_with_status(
        b.app
            .post_as(
                &b.reader.token,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({"body": "reformed"}),
            )
            .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn reports_are_deduplicated_grouped_and_resolved_together() {
    let b = board().await;
    let hot = b
        .app
        .comment_id(&b.other, &b.slug, "controversial", None)
        .await;
    let mild = b.app.comment_id(&b.other, &b.slug, "mild", None).await;
    let report = |user: &TestUser, id: i64, reason: &str| {
        let path = format!("/api/v1/comments/{id}/reports");
        let (app, token, body) = (&b.app, user.token.clone(), json!({"reason": reason}));
        async move {
            app.send_json(Method::POST, &path, Some(&token), &body)
                .await
        }
    };
    let filed = json_with_status(report(&b.reader, hot, "Insulting").await, 201).await;
    assert_eq!(filed["comment_id"], hot);
    assert_problem(report(&b.reader, hot, "Again").await, 409).await;
    json_with_status(report(&b.admin, hot, "Off topic").await, 201).await;
    json_with_status(report(&b.reader, mild, "Meh").await, 201).await;
    assert_problem(report(&b.reader, hot, "").await, 422).await;
    assert_eq!(
        b.app
            .count("SELECT count(*) AS count FROM mod_actions")
            .await,
        0,
        "filing writes no log row"
    );

    assert_problem(
        b.send(Some(&b.reader), Method::GET, "/api/v1/reports", None)
            .await,
        403,
    )
    .await;
    let open = json_with_status(
        b.send(
            Some(&b.moderator),
            Method::GET,
            "/api/v1/reports?status=open",
            None,
        )
        .await,
        200,
    )
    .await;
    let groups = open["items"].as_array().expect("items");
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["comment"]["id"], hot, "most reported first");
    assert_eq!(groups[0]["report_count"], 2);
    assert_eq!(
        groups[0]["reports"][0]["reporter"]["username"], "plain_reader",
        "moderators see reporters"
    );
    assert!(
        groups[0]["first_reported_at"].is_string() && groups[0]["last_reported_at"].is_string()
    );
    // The author never sees who reported them.
    let as_author = json_with_status(
        b.app
            .get_as(&b.other.token, &format!("/api/v1/comments/{hot}"))
            .await,
        200,
    )
    .await;
    assert!(!as_author.to_string().contains("plain_reader"));

    let resolve = json_with_status(
        b.send(
            Some(&b.moderator),
            Method::POST,
            &format!("/api/v1/reports/{hot}/resolution"),
            Some(json!({"action": "remove", "reason": "Breaks the rules"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(resolve["resolution"]["action"], "remove");
    assert_eq!(resolve["comment"]["removed"], true);
    assert_problem(
        b.send(
            Some(&b.moderator),
            Method::POST,
            &format!("/api/v1/reports/{hot}/resolution"),
            Some(json!({"action": "dismiss", "reason": "x"})),
        )
        .await,
        409,
    )
    .await;
    json_with_status(
        b.send(
            Some(&b.moderator),
            Method::POST,
            &format!("/api/v1/reports/{mild}/resolution"),
            Some(json!({"action": "dismiss", "reason": "Fine"})),
        )
        .await,
        200,
    )
    .await;
    let open = json_with_status(
        b.send(Some(&b.moderator), Method::GET, "/api/v1/reports", None)
            .await,
        200,
    )
    .await;
    assert_eq!(open["items"], json!([]));
    let resolved = json_with_status(
        b.send(
            Some(&b.moderator),
            Method::GET,
            "/api/v1/reports?status=resolved",
            None,
        )
        .await,
        200,
    )
    .await;
    let groups = resolved["items"].as_array().expect("items");
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["comment"]["id"], mild, "newest resolution first");
    assert_eq!(
        groups[1]["resolution"]["resolved_by"]["username"],
        "mod_one"
    );
    assert_eq!(groups[1]["report_count"], 2);
    assert_eq!(b.log_count("resolve_reports").await, 2);
    // A new report after resolution opens a new group.
    json_with_status(report(&b.other, mild, "Changed my mind").await, 201).await;
}

#[tokio::test]
async fn the_log_is_public_but_only_moderators_see_who_acted() {
    let b = board().await;
    let comment = b
        .app
        .comment_id(&b.reader, &b.slug, "to remove", None)
        .await;
    json_with_status(
        b.send(
            Some(&b.moderator),
            Method::POST,
            &format!("/api/v1/comments/{comment}/removal"),
            Some(json!({"reason": "Rule 2"})),
        )
        .await,
        200,
    )
    .await;
    b.send(
        Some(&b.moderator),
        Method::PUT,
        &format!("/api/v1/articles/{}/lock", b.slug),
        Some(json!({"locked": true, "reason": "Cooling off"})),
    )
    .await;
    b.app
        .send_json(
            Method::PUT,
            "/api/v1/users/other_reader/role",
            Some(&b.admin.token),
            &json!({"role": "moderator"}),
        )
        .await;

    let public = b.app.get_json("/api/v1/modlog").await;
    let items = public["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["action"], "change_role");
    assert_eq!(items[1]["action"], "lock_article");
    assert_eq!(items[1]["reason"], "Cooling off");
    assert_eq!(items[2]["action"], "remove_comment");
    assert_eq!(items[2]["comment_id"], comment);
    assert_eq!(items[2]["user"]["username"], "plain_reader");
    // Readers do not see moderators.
    for item in items {
        assert_null(item, "moderator");
    }
    let as_moderator = json_with_status(
        b.app
            .get_as(&b.second_moderator.token, "/api/v1/modlog")
            .await,
        200,
    )
    .await;
    assert_eq!(as_moderator["items"][2]["moderator"]["username"], "mod_one");
    let filtered = b
        .app
        .get_json(&format!(
            "/api/v1/modlog?article={}&action=remove_comment",
            b.slug
        ))
        .await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1));
    let by_user = b.app.get_json("/api/v1/modlog?user=other_reader").await;
    assert_eq!(by_user["items"][0]["action"], "change_role");
    let paged = b.app.get_json("/api/v1/modlog?limit=2").await;
    let cursor = paged["next_cursor"].as_str().expect("cursor");
    let rest = b
        .app
        .get_json(&format!("/api/v1/modlog?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(rest["items"][0]["action"], "remove_comment");
    assert_problem(b.app.get("/api/v1/modlog?action=explode").await, 422).await;
}

#[tokio::test]
async fn a_removed_prediction_is_hidden_from_readers_and_takes_no_forecasts() {
    let b = board().await;
    let comment = json_with_status(
        b.app
            .post_as(
                &b.reader.token,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({
        "body": "call", "prediction": {"claim": "A claim to be removed later", "probability": 0.5,
        "resolves_at": (b.app.clock.now() + chrono::Duration::days(3)).to_rfc3339()}}),
            )
            .await,
        201,
    )
    .await;
    let (id, pid) = (
        comment["id"].as_i64().expect("id"),
        comment["prediction"]["id"].as_i64().expect("pid"),
    );
    json_with_status(
        b.send(
            Some(&b.moderator),
            Method::POST,
            &format!("/api/v1/comments/{id}/removal"),
            Some(json!({"reason": "Not a real claim"})),
        )
        .await,
        200,
    )
    .await;
    let public = b.app.get_json(&format!("/api/v1/comments/{id}")).await;
    assert_null(&public["prediction"], "claim");
    assert_null(&public["prediction"], "criteria");
    let listed = b.app.get_json("/api/v1/predictions").await;
    assert_null(&listed["items"][0], "claim");
    assert_problem(
        b.app
            .send_json(
                Method::PUT,
                &format!("/api/v1/predictions/{pid}/forecast"),
                Some(&b.other.token),
                &json!({"probability": 0.4}),
            )
            .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn an_authors_deletion_outlives_a_removal_and_a_moderator_cannot_restore_their_own_comment() {
    let b = board().await;
    let comment = json_with_status(
        b.app
            .post_as(
                &b.reader.token,
                &format!("/api/v1/articles/{}/comments", b.slug),
                &json!({
        "body": "call", "prediction": {"claim": "A claim that gets removed", "probability": 0.5,
        "resolves_at": (b.app.clock.now() + chrono::Duration::days(3)).to_rfc3339()}}),
            )
            .await,
        201,
    )
    .await;
    let id = comment["id"].as_i64().expect("id");
    json_with_status(
        b.send(
            Some(&b.moderator),
            Method::POST,
            &format!("/api/v1/comments/{id}/removal"),
            Some(json!({"reason": "Rule 1"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        b.send(
            Some(&b.reader),
            Method::DELETE,
            &format!("/api/v1/comments/{id}"),
            None
        )
        .await
        .status(),
        204
    );
    // The author's deletion wins: the comment is erased, and its claim stays hidden (the
    // removal is not undone by deleting).
    let public = b.app.get_json(&format!("/api/v1/comments/{id}")).await;
    assert_eq!(public["deleted"], true, "deleted now");
    assert_null(&public, "body");
    // Still hidden after the deletion.
    assert_null(&public["prediction"], "claim");
    let listed = b.app.get_json("/api/v1/predictions").await;
    // The list hides the author too.
    assert_null(&listed["items"][0], "author");
    assert_null(&listed["items"][0], "claim");
    // A deleted leaf leaves the tree; a restore finds nothing to restore.
    let tree = b
        .app
        .get_json(&format!("/api/v1/articles/{}/comments", b.slug))
        .await;
    assert!(ids(&tree["items"]).is_empty());
    assert_problem(
        b.send(
            Some(&b.moderator),
            Method::DELETE,
            &format!("/api/v1/comments/{id}/removal"),
            None,
        )
        .await,
        409,
    )
    .await;
    assert_eq!(
        b.app.get_json(&format!("/api/v1/comments/{id}")).await["deleted"],
        true
    );

    let own = b
        .app
        .comment_id(&b.moderator, &b.slug, "mine, removed by an admin", None)
        .await;
    json_with_status(
        b.send(
            Some(&b.admin),
            Method::POST,
            &format!("/api/v1/comments/{own}/removal"),
            Some(json!({"reason": "Admin call"})),
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        b.send(
            Some(&b.moderator),
            Method::DELETE,
            &format!("/api/v1/comments/{own}/removal"),
            None,
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn the_report_queue_survives_a_deleted_article_and_the_cli_logs_role_changes() {
    let b = board().await;
    let other_slug = b.app.create_article(&b.admin, "Doomed article", &[]).await;
    let doomed = b
        .app
        .comment_id(&b.other, &other_slug, "reported then gone", None)
        .await;
    let kept = b
        .app
        .comment_id(&b.other, &b.slug, "reported and kept", None)
        .await;
    for id in [doomed, kept] {
        json_with_status(
            b.app
                .post_as(
                    &b.reader.token,
                    &format!("/api/v1/comments/{id}/reports"),
                    &json!({"reason": "spam"}),
                )
                .await,
            201,
        )
        .await;
    }
    assert_eq!(
        b.send(
            Some(&b.admin),
            Method::DELETE,
            &format!("/api/v1/articles/{other_slug}"),
            None
        )
        .await
        .status(),
        204
    );
    let open = json_with_status(
        b.send(Some(&b.moderator), Method::GET, "/api/v1/reports", None)
            .await,
        200,
    )
    .await;
    let groups: Vec<i64> = open["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|g| g["comment"]["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(groups, vec![kept]);

    let output = hindsight_cli(&b.app, &["set-role", "other_reader", "moderator"]);
    assert!(output.status.success());
    let log = b.app.get_json("/api/v1/modlog?action=change_role").await;
    assert_eq!(log["items"][0]["user"]["username"], "other_reader");
    assert_eq!(b.app.count("SELECT count(*) AS count FROM mod_actions WHERE action = 'change_role' AND moderator_id IS NULL").await, 1);
}

#[tokio::test]
async fn a_banned_moderator_loses_moderation_powers() {
    let b = board().await;
    let comment = b
        .app
        .comment_id(&b.reader, &b.slug, "a comment", None)
        .await;
    assert_eq!(
        b.send(
            Some(&b.admin),
            Method::POST,
            "/api/v1/users/mod_one/ban",
            Some(json!({"reason": "Abuse of powers"}))
        )
        .await
        .status(),
        204
    );
    let refused = assert_problem(
        b.send(
            Some(&b.moderator),
            Method::POST,
            &format!("/api/v1/comments/{comment}/removal"),
            Some(json!({"reason": "x"})),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(refused["type"], "/problems/banned");
}

#[tokio::test]
async fn moderation_routes_need_a_token_and_a_moderator() {
    let b = board().await;
    let comment = b.app.comment_id(&b.other, &b.slug, "target", None).await;
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::DELETE,
            format!("/api/v1/comments/{comment}/removal"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/articles/{}/lock", b.slug),
            Some(json!({"locked": true, "reason": "x"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/comments/{comment}/pin"),
            Some(json!({"pinned": true})),
        ),
        (
            Method::POST,
            "/api/v1/users/other_reader/ban".to_owned(),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::DELETE,
            "/api/v1/users/other_reader/ban".to_owned(),
            None,
        ),
        (Method::GET, "/api/v1/reports".to_owned(), None),
        (
            Method::POST,
            format!("/api/v1/reports/{comment}/resolution"),
            Some(json!({"action": "dismiss", "reason": "x"})),
        ),
    ];
    for (method, path, body) in routes {
        assert_problem(b.send(None, method.clone(), &path, body.clone()).await, 401).await;
        assert_problem(b.send(Some(&b.reader), method, &path, body).await, 403).await;
    }
    assert_eq!(
        b.app
            .count("SELECT count(*) AS count FROM mod_actions")
            .await,
        0
    );
}
