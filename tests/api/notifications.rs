//! Notifications through HTTP: every kind, none for one's own actions, settings, mutes, read
//! marks and the unread count, mentions in body_html, no deleted or removed text in any
//! notification, and the deadline and retention jobs.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// An article with a writer, two readers and a moderator.
struct Room {
    app: TestApp,
    slug: String,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    moderator: TestUser,
}

async fn room_with(adjust: impl FnOnce(&mut hindsight::Settings)) -> Room {
    let app = TestApp::spawn_with(adjust).await;
    let admin = app.admin().await;
    let slug = app
        .create_article(&admin, "Tariffs and the harbour", &["trade"])
        .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob_reader").await;
    let carol = app.register("carol").await;
    let moderator = app.register_with_role("the_mod", "moderator").await;
    Room {
        app,
        slug,
        alice,
        bob,
        carol,
        moderator,
    }
}

async fn room() -> Room {
    room_with(|_| {}).await
}

impl Room {
    /// The first page of `user`'s notifications (`query` appended).
    async fn page(&self, user: &TestUser, query: &str) -> Value {
        json_with_status(
            self.app
                .get_as(&user.token, &format!("/api/v1/me/notifications{query}"))
                .await,
            200,
        )
        .await
    }

    /// `user`'s notifications, newest first.
    async fn notes(&self, user: &TestUser) -> Vec<Value> {
        self.page(user, "?limit=100").await["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The kinds of `user`'s notifications, newest first.
    async fn kinds(&self, user: &TestUser) -> Vec<String> {
        self.notes(user)
            .await
            .iter()
            .map(|n| n["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn unread_on_me(&self, user: &TestUser) -> i64 {
        let me = json_with_status(self.app.get_as(&user.token, "/api/v1/me").await, 200).await;
        me["unread_notifications"].as_i64().expect("unread count")
    }

    async fn comment(&self, user: &TestUser, body: &str, parent: Option<i64>) -> Value {
        self.app.comment(user, &self.slug, body, parent).await
    }

    async fn send(
        &self,
        user: &TestUser,
        method: Method,
        path: &str,
        body: Value,
    ) -> reqwest::Response {
        self.app
            .send_json(method, path, Some(&user.token), &body)
            .await
    }

    async fn read(&self, user: &TestUser, body: Value) -> reqwest::Response {
        self.send(user, Method::POST, "/api/v1/me/notifications/read", body)
            .await
    }

    async fn predict(&self, user: &TestUser, probability: f64, days: i64) -> Value {
        let deadline = (self.app.clock.now() + chrono::Duration::days(days)).to_rfc3339();
        json_with_status(
            self.app
                .post_as(
                    &user.token,
                    &format!("/api/v1/articles/{}/comments", self.slug),
                    &json!({"body": "My call.", "prediction": {
                        "claim": "The harbour tariff is cut before spring", "probability": probability,
                        "resolves_at": deadline
                    }}),
                )
                .await,
            201,
        )
        .await
    }
}

/// Polls `check` until it holds (background jobs), or fails after ten seconds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_reply_notifies_the_parent_author_but_not_oneself() {
    let r = room().await;
    let parent = r
        .comment(&r.alice, "Ports matter more than tariffs.", None)
        .await["id"]
        .as_i64()
        .expect("id");
    let reply = r
        .comment(&r.bob, "Ports are *tariffed* too.", Some(parent))
        .await["id"]
        .as_i64()
        .expect("id");
    r.comment(&r.alice, "Replying to myself.", Some(parent))
        .await;
    r.comment(&r.bob, "And to myself.", Some(reply)).await;

    let notes = r.notes(&r.alice).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = &notes[0];
    assert_eq!(note["kind"], "reply");
    assert_null(note, "read_at");
    assert_eq!(note["actor"]["username"], "bob_reader");
    assert_eq!(note["article"]["slug"], r.slug.as_str());
    assert_eq!(note["article"]["title"], "Tariffs and the harbour");
    assert_eq!(note["comment"]["id"], reply);
    assert_eq!(note["comment"]["snippet"], "Ports are tariffed too.");
    assert_null(note, "prediction");
    assert_eq!(r.unread_on_me(&r.alice).await, 1);
    assert!(r.notes(&r.bob).await.is_empty(), "nobody replied to bob");
    assert_eq!(r.unread_on_me(&r.bob).await, 0);
}

#[tokio::test]
async fn mentions_link_existing_users_and_notify_them_once() {
    let r = room().await;
    let comment = r
        .comment(
            &r.alice,
            "Ask @Bob_Reader, not @nobody_here, or `@carol` or @alice.",
            None,
        )
        .await;
    let html = comment["body_html"].as_str().expect("html");
    assert!(
        html.contains(r#"<a class="mention" href="/users/bob_reader">@bob_reader</a>"#),
        "{html}"
    );
    assert!(
        !html.contains("/users/nobody_here") && html.contains("@nobody_here"),
        "{html}"
    );
    assert!(!html.contains("/users/carol"), "{html}");
    assert_eq!(r.kinds(&r.bob).await, ["mention"]);
    assert!(
        r.notes(&r.carol).await.is_empty(),
        "code spans mention nobody"
    );
    assert!(
        r.notes(&r.alice).await.is_empty(),
        "nobody is told of their own mention"
    );

    // Raw HTML cannot pass for a mention.
    let forged = r
        .comment(
            &r.carol,
            r#"<a class="mention" href="/users/alice">@alice</a> hi"#,
            None,
        )
        .await;
    let html = forged["body_html"].as_str().expect("html");
    assert!(
        !html.contains("class=") && !html.contains("/users/"),
        "{html}"
    );

    // A reply that also mentions the parent's author tells them once, as a reply.
    let id = comment["id"].as_i64().expect("id");
    r.comment(&r.bob, "@alice fair, and @carol agrees.", Some(id))
        .await;
    assert_eq!(r.kinds(&r.alice).await, ["reply"]);
    assert_eq!(r.kinds(&r.carol).await, ["mention"]);
    // So does an edit that adds her name to a reply she was told of.
    let later = r.comment(&r.bob, "Fair point.", Some(id)).await["id"].clone();
    let edited = r
        .send(
            &r.bob,
            Method::PATCH,
            &format!("/api/v1/comments/{later}"),
            json!({"body": "Fair point, @alice."}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    assert_eq!(r.kinds(&r.alice).await, ["reply", "reply"]);

    // An edit tells only the names it adds.
    let edited = r
        .send(
            &r.alice,
            Method::PATCH,
            &format!("/api/v1/comments/{id}"),
            json!({"body": "Ask @bob_reader and @carol."}),
        )
        .await;
    let edited = json_with_status(edited, 200).await;
    assert!(edited["body_html"]
        .as_str()
        .is_some_and(|h| h.contains(r#"href="/users/carol""#)));
    assert_eq!(
        r.kinds(&r.bob).await,
        ["mention"],
        "bob was mentioned before"
    );
    assert_eq!(r.kinds(&r.carol).await, ["mention", "mention"]);
}

#[tokio::test]
async fn removal_restore_and_report_outcomes_reach_author_and_reporters() {
    let r = room().await;
    let secret = "The harbour master is a crook named Smith.";
    let id = r.comment(&r.alice, secret, None).await["id"]
        .as_i64()
        .expect("id");
    for reporter in [&r.bob, &r.carol] {
        let filed = r
            .send(
                reporter,
                Method::POST,
                &format!("/api/v1/comments/{id}/reports"),
                json!({"reason": "Defamation of a named person."}),
            )
            .await;
        json_with_status(filed, 201).await;
    }
    let resolved = r
        .send(
            &r.moderator,
            Method::POST,
            &format!("/api/v1/reports/{id}/resolution"),
            json!({"action": "remove", "reason": "Unsupported accusation."}),
        )
        .await;
    json_with_status(resolved, 200).await;

    for reporter in [&r.bob, &r.carol] {
        let notes = r.notes(reporter).await;
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0]["kind"], "report_resolved");
        assert_eq!(notes[0]["data"]["action"], "remove");
        assert_eq!(notes[0]["actor"]["username"], "the_mod");
        assert_null(&notes[0]["comment"], "snippet");
    }
    let notes = r.notes(&r.alice).await;
    assert_eq!(notes[0]["kind"], "comment_removed");
    assert_eq!(notes[0]["data"]["reason"], "Unsupported accusation.");
    assert_null(&notes[0]["comment"], "snippet");

    let restored = r
        .send(
            &r.moderator,
            Method::DELETE,
            &format!("/api/v1/comments/{id}/removal"),
            json!({}),
        )
        .await;
    json_with_status(restored, 200).await;
    assert_eq!(
        r.kinds(&r.alice).await,
        ["comment_restored", "comment_removed"]
    );
    let notes = r.notes(&r.alice).await;
    assert_eq!(
        notes[0]["comment"]["snippet"], secret,
        "visible again, so shown"
    );

    // Removed again, then deleted by its author: its text is in no notification of anyone.
    let removed = r
        .send(
            &r.moderator,
            Method::POST,
            &format!("/api/v1/comments/{id}/removal"),
            json!({"reason": "Still unsupported."}),
        )
        .await;
    json_with_status(removed, 200).await;
    let deleted = r
        .send(
            &r.alice,
            Method::DELETE,
            &format!("/api/v1/comments/{id}"),
            json!({}),
        )
        .await;
    assert!(deleted.status().is_success());
    for user in [&r.alice, &r.bob, &r.carol] {
        let page = r.page(user, "").await.to_string();
        assert!(!page.contains("crook") && !page.contains("Smith"), "{page}");
    }
}

#[tokio::test]
async fn deleted_replies_leave_no_text_behind() {
    let r = room().await;
    let parent = r.comment(&r.alice, "A plain claim.", None).await["id"]
        .as_i64()
        .expect("id");
    let reply = r
        .comment(&r.bob, "Something I will regret, @carol.", Some(parent))
        .await["id"]
        .as_i64()
        .expect("id");
    assert!(r.page(&r.alice, "").await.to_string().contains("regret"));
    let deleted = r
        .send(
            &r.bob,
            Method::DELETE,
            &format!("/api/v1/comments/{reply}"),
            json!({}),
        )
        .await;
    assert!(deleted.status().is_success());
    for user in [&r.alice, &r.carol] {
        let page = r.page(user, "").await;
        assert!(!page.to_string().contains("regret"), "{page}");
        assert_null(&page["items"][0]["comment"], "snippet");
        assert_eq!(page["items"][0]["comment"]["id"], reply);
    }
}

#[tokio::test]
async fn moderators_are_not_told_of_their_own_actions() {
    let r = room().await;
    let id = r
        .comment(&r.moderator, "A note from the moderator.", None)
        .await["id"]
        .as_i64()
        .expect("id");
    let removed = r
        .send(
            &r.moderator,
            Method::POST,
            &format!("/api/v1/comments/{id}/removal"),
            json!({"reason": "Posted in the wrong thread."}),
        )
        .await;
    json_with_status(removed, 200).await;
    assert!(r.notes(&r.moderator).await.is_empty());
}

#[tokio::test]
async fn bans_and_unbans_tell_the_user_with_reason_and_expiry() {
    let r = room().await;
    let until = (r.app.clock.now() + chrono::Duration::days(7)).to_rfc3339();
    let banned = r
        .send(
            &r.moderator,
            Method::POST,
            "/api/v1/users/carol/ban",
            json!({"reason": "Repeated personal attacks.", "expires_at": until}),
        )
        .await;
    assert!(banned.status().is_success(), "{}", banned.status());
    let notes = r.notes(&r.carol).await;
    assert_eq!(notes[0]["kind"], "ban");
    assert_eq!(notes[0]["data"]["reason"], "Repeated personal attacks.");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(notes[0]["data"]["expires_at"].clone()).expect("a time");
    assert_eq!(expires.to_rfc3339(), until);
    assert_eq!(notes[0]["data"]["content_removed"], false);
    let lifted = r
        .send(
            &r.moderator,
            Method::DELETE,
            "/api/v1/users/carol/ban",
            json!({}),
        )
        .await;
    assert!(lifted.status().is_success(), "{}", lifted.status());
    assert_eq!(r.kinds(&r.carol).await, ["unban", "ban"]);
}

#[tokio::test]
async fn a_resolution_tells_predictor_and_forecasters_their_brier_scores() {
    let r = room().await;
    let comment = r.predict(&r.alice, 0.6, 30).await;
    let id = comment["prediction"]["id"].as_i64().expect("prediction id");
    let forecast = r
        .send(
            &r.bob,
            Method::PUT,
            &format!("/api/v1/predictions/{id}/forecast"),
            json!({"probability": 0.8}),
        )
        .await;
    json_with_status(forecast, 200).await;
    let forecast = r
        .send(
            &r.moderator,
            Method::PUT,
            &format!("/api/v1/predictions/{id}/forecast"),
            json!({"probability": 0.3}),
        )
        .await;
    json_with_status(forecast, 200).await;
    let resolved = r
        .send(
            &r.moderator,
            Method::POST,
            &format!("/api/v1/predictions/{id}/resolution"),
            json!({"outcome": "yes"}),
        )
        .await;
    json_with_status(resolved, 200).await;

    for (user, brier) in [(&r.alice, 0.16), (&r.bob, 0.04)] {
        let notes = r.notes(user).await;
        assert_eq!(notes.len(), 1, "{notes:?}");
        let note = &notes[0];
        assert_eq!(note["kind"], "prediction_resolved");
        assert_eq!(note["data"]["outcome"], "yes");
        let got = note["data"]["brier"].as_f64().expect("a score");
        assert!((got - brier).abs() < 1e-9, "{got} vs {brier}");
        assert_eq!(note["prediction"]["id"], id);
        assert_eq!(
            note["prediction"]["claim"],
            "The harbour tariff is cut before spring"
        );
        assert_eq!(note["actor"]["username"], "the_mod");
    }
    assert!(
        r.notes(&r.moderator).await.is_empty(),
        "the resolver is not told"
    );
}

#[tokio::test]
async fn settings_switch_kinds_off_and_name_bad_fields() {
    let r = room().await;
    let path = "/api/v1/me/notification-settings";
    let all = json_with_status(r.app.get_as(&r.alice.token, path).await, 200).await;
    for kind in [
        "reply",
        "mention",
        "prediction_resolved",
        "deadline_passed",
        "comment_removed",
        "comment_restored",
        "ban",
        "unban",
        "report_resolved",
    ] {
        assert_eq!(all[kind]["in_app"], true, "{kind}: {all}");
    }
    let changed = r
        .send(
            &r.alice,
            Method::PATCH,
            path,
            json!({"reply": {"in_app": false}}),
        )
        .await;
    let changed = json_with_status(changed, 200).await;
    assert_eq!(changed["reply"]["in_app"], false);
    assert_eq!(changed["mention"]["in_app"], true);

    let parent = r.comment(&r.alice, "Quiet, please.", None).await["id"]
        .as_i64()
        .expect("id");
    r.comment(&r.bob, "A reply nobody hears about.", Some(parent))
        .await;
    r.comment(&r.bob, "But @alice hears this.", None).await;
    assert_eq!(r.kinds(&r.alice).await, ["mention"]);
    // With replies off, a reply that @mentions her is still a mention she hears.
    let mentioning = r
        .comment(&r.bob, "@alice, this one names you.", Some(parent))
        .await["id"]
        .clone();
    let notes = r.notes(&r.alice).await;
    assert_eq!(notes[0]["kind"], "mention", "{notes:?}");
    assert_eq!(notes[0]["comment"]["id"], mentioning);
    assert_eq!(notes.len(), 2, "{notes:?}");

    for (body, field) in [
        (json!({"repyl": {"in_app": false}}), "repyl"),
        (json!({"reply": {"in_app": "no"}}), "reply.in_app"),
        (json!({"reply": {"sms": true}}), "reply.sms"),
        (json!({"reply": false}), "reply"),
    ] {
        let problem = assert_problem(r.send(&r.alice, Method::PATCH, path, body).await, 422).await;
        let fields = problem_fields(&problem);
        assert!(fields.iter().any(|(f, _)| f == field), "{field}: {problem}");
    }
    assert_problem(r.app.get(path).await, 401).await;
}

#[tokio::test]
async fn a_muted_subtree_sends_no_replies_until_unmuted() {
    let r = room().await;
    let root = r.comment(&r.alice, "Root of a long argument.", None).await["id"]
        .as_i64()
        .expect("id");
    let inner = r.comment(&r.alice, "My second point.", Some(root)).await["id"]
        .as_i64()
        .expect("id");
    let path = format!("/api/v1/comments/{root}/mute");
    for _ in 0..2 {
        let muted = r.send(&r.alice, Method::PUT, &path, json!({})).await;
        assert_eq!(muted.status(), 204);
    }
    r.comment(&r.bob, "Reply to the root.", Some(root)).await;
    let quiet = r.comment(&r.bob, "Reply deep inside.", Some(inner)).await;
    assert!(
        r.notes(&r.alice).await.is_empty(),
        "replies under a muted comment are silent"
    );
    // An explicit @mention is not muted with the replies: she hears it, as a mention.
    let mentioning = r
        .comment(&r.bob, "And @alice, a mention still counts.", Some(inner))
        .await["id"]
        .clone();
    let notes = r.notes(&r.alice).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["kind"], "mention");
    assert_eq!(notes[0]["comment"]["id"], mentioning);
    // So is one an edit adds to a reply she never heard of.
    let edited = r
        .send(
            &r.bob,
            Method::PATCH,
            &format!("/api/v1/comments/{}", quiet["id"]),
            json!({"body": "Reply deep inside, @alice."}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let notes = r.notes(&r.alice).await;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(notes[0]["kind"], "mention");
    assert_eq!(notes[0]["comment"]["id"], quiet["id"]);

    let unmuted = r.send(&r.alice, Method::DELETE, &path, json!({})).await;
    assert_eq!(unmuted.status(), 204);
    r.comment(&r.carol, "Now it is heard, @alice.", Some(inner))
        .await;
    assert_eq!(
        r.kinds(&r.alice).await,
        ["reply", "mention", "mention"],
        "a reply that is written stands for its mention"
    );

    let missing = r
        .send(
            &r.alice,
            Method::PUT,
            "/api/v1/comments/999999/mute",
            json!({}),
        )
        .await;
    assert_problem(missing, 404).await;
    let anonymous = r.app.send_json(Method::PUT, &path, None, &json!({})).await;
    assert_problem(anonymous, 401).await;
}

#[tokio::test]
async fn an_actor_who_deleted_their_account_is_shown_as_nobody() {
    let r = room().await;
    let parent = r.comment(&r.alice, "Who will answer?", None).await["id"]
        .as_i64()
        .expect("id");
    r.comment(&r.bob, "I will, then vanish.", Some(parent))
        .await;
    assert_eq!(
        r.notes(&r.alice).await[0]["actor"]["username"],
        "bob_reader"
    );

    let deleted = r
        .send(
            &r.bob,
            Method::DELETE,
            "/api/v1/me",
            json!({"password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(deleted.status(), 204);
    let notes = r.notes(&r.alice).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["kind"], "reply");
    assert_null(&notes[0], "actor");
}

#[tokio::test]
async fn read_marks_touch_only_ones_own_and_update_the_count() {
    let r = room().await;
    let parent = r.comment(&r.alice, "Tell me when you answer.", None).await["id"]
        .as_i64()
        .expect("id");
    for body in ["One.", "Two.", "Three."] {
        r.comment(&r.bob, body, Some(parent)).await;
    }
    let bobs = r.comment(&r.bob, "Bob's own thread.", None).await["id"]
        .as_i64()
        .expect("id");
    r.comment(&r.carol, "Hi bob.", Some(bobs)).await;
    let bob_note = r.notes(&r.bob).await[0]["id"].as_i64().expect("id");
    let ids: Vec<i64> = r
        .notes(&r.alice)
        .await
        .iter()
        .filter_map(|n| n["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(r.unread_on_me(&r.alice).await, 3);

    let marked = r.read(&r.alice, json!({"ids": [ids[0], bob_note]})).await;
    assert_eq!(
        json_with_status(marked, 200).await["unread_notifications"],
        2
    );
    assert_eq!(r.unread_on_me(&r.bob).await, 1, "bob's stays unread");
    let unread = r.page(&r.alice, "?unread=true").await;
    assert_eq!(ids_of(&unread["items"]), &ids[1..]);
    assert!(r.notes(&r.alice).await[0]["read_at"].is_string());

    let marked = r.read(&r.alice, json!({"up_to_id": ids[1]})).await;
    assert_eq!(
        json_with_status(marked, 200).await["unread_notifications"],
        0
    );
    assert_eq!(r.unread_on_me(&r.alice).await, 0);
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT count(*) AS count FROM events WHERE kind = 'unread' AND user_id = {}",
                r.alice.id
            ))
            .await,
        2,
        "one unread event per mark that changed something"
    );
    let again = r.read(&r.alice, json!({"up_to_id": ids[0]})).await;
    assert_eq!(
        json_with_status(again, 200).await["unread_notifications"],
        0
    );

    for (body, field) in [
        (json!({}), "ids"),
        (json!({"ids": [1], "up_to_id": 2}), "up_to_id"),
        (json!({"ids": []}), "ids"),
        (json!({"ids": "all"}), "ids"),
    ] {
        let problem = assert_problem(r.read(&r.alice, body).await, 422).await;
        assert!(
            problem_fields(&problem).iter().any(|(f, _)| f == field),
            "{problem}"
        );
    }
}

fn ids_of(items: &Value) -> Vec<i64> {
    items
        .as_array()
        .map(|a| a.iter().filter_map(|n| n["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_list_pages_newest_first() {
    let r = room().await;
    let parent = r.comment(&r.alice, "Page me.", None).await["id"]
        .as_i64()
        .expect("id");
    for n in 0..5 {
        r.comment(&r.bob, &format!("Reply number {n}."), Some(parent))
            .await;
    }
    let first = r.page(&r.alice, "?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("more").to_owned();
    let second = r.page(&r.alice, &format!("?limit=2&cursor={cursor}")).await;
    let third = r
        .page(
            &r.alice,
            &format!(
                "?limit=2&cursor={}",
                second["next_cursor"].as_str().expect("more")
            ),
        )
        .await;
    let mut seen = ids_of(&first["items"]);
    seen.extend(ids_of(&second["items"]));
    seen.extend(ids_of(&third["items"]));
    assert_null(&third, "next_cursor");
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 5);
    assert_eq!(third["items"][0]["comment"]["snippet"], "Reply number 0.");

    let unread_cursor = r.page(&r.alice, "?limit=2&unread=true").await["next_cursor"]
        .as_str()
        .expect("more")
        .to_owned();
    let refused = r
        .app
        .get_as(
            &r.alice.token,
            &format!("/api/v1/me/notifications?cursor={unread_cursor}"),
        )
        .await;
    assert_problem(refused, 422).await;
    let bad_limit = r
        .app
        .get_as(&r.alice.token, "/api/v1/me/notifications?limit=0")
        .await;
    assert_problem(bad_limit, 422).await;
}

#[tokio::test]
async fn a_passed_deadline_is_announced_once_to_predictor_and_moderators() {
    let r = room_with(|s| s.deadline_job = Duration::from_millis(200)).await;
    let admin = r
        .app
        .login(&TestUser {
            username: "editor_admin".to_owned(),
            ..r.alice.clone()
        })
        .await;
    let comment = r.predict(&r.alice, 0.7, 2).await;
    let id = comment["prediction"]["id"].as_i64().expect("prediction id");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        r.app
            .count("SELECT count(*) AS count FROM notifications WHERE kind = 'deadline_passed'")
            .await,
        0,
        "not before the deadline"
    );
    r.app.clock.advance(chrono::Duration::days(3));
    let told = |user: i64| {
        let sql = format!(
            "SELECT count(*) AS count FROM notifications \
             WHERE kind = 'deadline_passed' AND user_id = {user} AND prediction_id = {id}"
        );
        let app = &r.app;
        async move { app.count(&sql).await }
    };
    eventually("the deadline notices", || async {
        told(r.alice.id).await == 1 && told(r.moderator.id).await == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(told(r.alice.id).await, 1, "announced once");
    assert_eq!(told(admin.id).await, 1, "admins resolve too");
    assert_eq!(told(r.bob.id).await, 0, "readers are not told");
    let alice = r.app.login(&r.alice).await;
    let note = &r.notes(&alice).await[0];
    assert_eq!(note["kind"], "deadline_passed");
    assert_null(note, "actor");
    assert_eq!(note["prediction"]["id"], id);
    let events = r
        .app
        .count(&format!(
            "SELECT count(*) AS count FROM events WHERE kind = 'notification' AND user_id = {}",
            r.alice.id
        ))
        .await;
    assert_eq!(events, 1, "each notice reaches the reader's stream");
}

#[tokio::test]
async fn retention_drops_old_notifications_events_and_tickets() {
    let r = room_with(|s| s.retention_job = Duration::from_millis(200)).await;
    let parent = r.comment(&r.alice, "Old news.", None).await["id"]
        .as_i64()
        .expect("id");
    r.comment(&r.bob, "An old reply.", Some(parent)).await;
    r.app.clock.advance(chrono::Duration::days(60));
    let bob = r.app.login(&r.bob).await;
    let alice = r.app.login(&r.alice).await;
    r.comment(&bob, "A newer reply.", Some(parent)).await;
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = r.app.db().await;
        conn.batch_execute(
            "UPDATE events SET created_at = now() - interval '3 days' \
             WHERE id = (SELECT min(id) FROM events); \
             INSERT INTO stream_tickets (token_hash, user_id, expires_at) \
             SELECT '\\x01'::bytea, id, '2000-01-01Z' FROM users WHERE username = 'alice'",
        )
        .await
        .expect("aged rows");
    }
    let oldest_event = r.app.count("SELECT min(id) AS count FROM events").await;
    r.app.clock.advance(chrono::Duration::days(31));
    eventually("the retention run", || async {
        r.app
            .count("SELECT count(*) AS count FROM notifications")
            .await
            == 1
    })
    .await;
    let alice = r.app.login(&alice).await;
    let notes = r.notes(&alice).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["comment"]["snippet"], "A newer reply.");
    eventually("the events pruned", || async {
        r.app
            .count(&format!(
                "SELECT count(*) AS count FROM events WHERE id = {oldest_event}"
            ))
            .await
            == 0
    })
    .await;
    assert!(
        r.app
            .count("SELECT pruned_through AS count FROM event_log_state")
            .await
            >= oldest_event
    );
    assert!(
        r.app.count("SELECT count(*) AS count FROM events").await > 0,
        "recent events stay"
    );
    assert_eq!(
        r.app
            .count("SELECT count(*) AS count FROM stream_tickets")
            .await,
        0
    );
}
