//! Notification mail through HTTP, delivered to the real loopback SMTP listener (`smtp.rs`):
//! per-kind settings (off, immediate, daily digest), the daily digest gathered by the test
//! clock, RFC 8058 one-click unsubscribe without logging in, and nothing mailed to an
//! unverified address, for a kind switched off, or about a comment that is gone.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_with_status, problem_fields, TestApp, TestUser};
use crate::mime::{parse, Parsed};
use crate::smtp::{app_sending_to, SmtpServer};

/// Every message to `address` whose subject is not the verification's, read.
fn notification_mail_to(smtp: &SmtpServer, address: &str) -> Vec<Parsed> {
    smtp.received()
        .into_iter()
        .filter(|m| m.to.iter().any(|to| to == address))
        .map(|m| parse(&m.data))
        .filter(|m| m.header("Subject") != Some("Confirm your email address"))
        .collect()
}

/// Waits up to 10 s until `address` has `n` notification mails, and returns them.
async fn wait_for_mail(smtp: &SmtpServer, address: &str, n: usize) -> Vec<Parsed> {
    let started = std::time::Instant::now();
    loop {
        let mails = notification_mail_to(smtp, address);
        if mails.len() >= n {
            return mails;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {n} mails to {address}; have {}",
            mails.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the notification-mail job has run twice more (so that whatever it would mail is
/// in the outbox), then long enough for the outbox worker (every 50 ms) to send it.
async fn a_few_ticks(app: &TestApp) {
    let last_run = || async {
        app.count(
            "SELECT COALESCE((SELECT (extract(epoch FROM last_run_at) * 1000000)::bigint \
             FROM job_runs WHERE name = 'notification_mail'), 0) AS count",
        )
        .await
    };
    let mut seen = last_run().await;
    for _ in 0..2 {
        let started = std::time::Instant::now();
        loop {
            let now = last_run().await;
            if now != seen {
                seen = now;
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the job does not run"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Registers `username` and follows the verification link mailed to them.
async fn verified(app: &TestApp, smtp: &SmtpServer, username: &str) -> TestUser {
    let user = app.register(username).await;
    let address = format!("{username}@example.com");
    let started = std::time::Instant::now();
    let token = loop {
        let link = smtp
            .received()
            .into_iter()
            .filter(|m| m.to.contains(&address))
            .map(|m| parse(&m.data).text)
            .find_map(|text| text.split("token=").nth(1).map(str::to_owned));
        if let Some(rest) = link {
            break rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no verification mail"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let response = app
        .post("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_eq!(response.status(), 204);
    user
}

async fn set(app: &TestApp, user: &TestUser, patch: Value) -> Value {
    let response = app
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/me/notification-settings",
            Some(&user.token),
            &patch,
        )
        .await;
    json_with_status(response, 200).await
}

async fn settings(app: &TestApp, user: &TestUser) -> Value {
    json_with_status(
        app.get_as(&user.token, "/api/v1/me/notification-settings")
            .await,
        200,
    )
    .await
}

/// The URL inside `<…>` of a `List-Unsubscribe` header.
fn unsubscribe_url(mail: &Parsed) -> String {
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    header
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

async fn pending_marks(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM notifications WHERE mail_pending")
        .await
}

async fn notification_rows_in_outbox(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM mail_outbox WHERE purpose IN ('notification', 'digest')")
        .await
}

#[tokio::test]
async fn settings_carry_an_email_mode_per_kind_with_defaults_and_checks() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada").await;
    let all = settings(&app, &ada).await;
    assert_eq!(all["reply"], json!({"in_app": true, "email": "daily"}));
    assert_eq!(
        all["prediction_resolved"],
        json!({"in_app": true, "email": "immediate"})
    );
    assert_eq!(all["report_resolved"]["email"], "off");

    let changed = set(&app, &ada, json!({"mention": {"email": "immediate"}})).await;
    assert_eq!(
        changed["mention"],
        json!({"in_app": true, "email": "immediate"})
    );
    let changed = set(&app, &ada, json!({"mention": {"in_app": false}})).await;
    assert_eq!(
        changed["mention"],
        json!({"in_app": false, "email": "off"}),
        "no in-app notification, no mail"
    );
    let changed = set(&app, &ada, json!({"mention": {"in_app": true}})).await;
    assert_eq!(
        changed["mention"],
        json!({"in_app": true, "email": "immediate"}),
        "a channel left out keeps its value"
    );
    assert_eq!(changed["reply"]["email"], "daily");

    let response = app
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/me/notification-settings",
            Some(&ada.token),
            &json!({"reply": {"email": "weekly"}, "ban": {"email": true}}),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    let mut fields = problem_fields(&problem);
    fields.sort();
    assert_eq!(
        fields,
        [
            ("ban.email".to_owned(), "invalid_value".to_owned()),
            ("reply.email".to_owned(), "invalid_value".to_owned())
        ]
    );
    assert_eq!(settings(&app, &ada).await["reply"]["email"], "daily");

    // Mail copies the in-app notification: with in_app off, mail shows off and cannot be set.
    let changed = set(&app, &ada, json!({"reply": {"in_app": false}})).await;
    assert_eq!(changed["reply"], json!({"in_app": false, "email": "off"}));
    let response = app
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/me/notification-settings",
            Some(&ada.token),
            &json!({"reply": {"email": "immediate"}}),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(
        problem_fields(&problem),
        [("reply.email".to_owned(), "needs_in_app".to_owned())]
    );
    let back = set(&app, &ada, json!({"reply": {"in_app": true}})).await;
    assert_eq!(
        back["reply"],
        json!({"in_app": true, "email": "daily"}),
        "the choice returns"
    );
}

#[tokio::test]
async fn an_immediate_mail_carries_the_reply_and_a_one_click_unsubscribe() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Summit & <Week>", &[]).await;
    let ada = verified(&app, &smtp, "ada").await;
    let bob = app.register("bob").await;
    set(&app, &ada, json!({"reply": {"email": "immediate"}})).await;
    let parent = app.comment_id(&ada, &slug, "Will they sign?", None).await;
    let reply = app
        .comment_id(&bob, &slug, "I think **Seoul** signs first", Some(parent))
        .await;

    let mails = wait_for_mail(&smtp, "ada@example.com", 1).await;
    let mail = &mails[0];
    assert_eq!(mail.header("Subject"), Some("bob replied to your comment"));
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let url = unsubscribe_url(mail);
    assert!(
        url.starts_with("http://127.0.0.1:8080/unsubscribe?token="),
        "{url}"
    );
    for expected in [
        "Hello ada,",
        "bob replied to your comment on \"Summit & <Week>\":",
        "\n\n> I think Seoul signs first\n\n",
        &format!("/embed/{slug}#comment-{reply}"),
        &url,
    ] {
        assert!(
            mail.text.contains(expected),
            "no {expected:?} in:\n{}",
            mail.text
        );
    }
    assert!(
        mail.html.contains("<strong>bob</strong> replied"),
        "{}",
        mail.html
    );
    assert!(
        mail.html.contains("Summit &amp; &lt;Week&gt;"),
        "the title is escaped in HTML: {}",
        mail.html
    );
    assert!(!mail.html.contains("<Week>"));
    a_few_ticks(&app).await;
    assert_eq!(notification_rows_in_outbox(&app).await, 1, "mailed once");
    assert_eq!(pending_marks(&app).await, 0);

    // The page behind the link changes nothing; its POST (a mail client's one click, no
    // login) switches only reply mail off.
    let path = url.trim_start_matches("http://127.0.0.1:8080");
    let page = app.get(path).await;
    assert_eq!(page.status(), 200);
    assert!(page
        .headers()
        .get("content-security-policy")
        .is_some_and(|v| v.to_str().unwrap_or("").contains("default-src 'none'")));
    let text = page.text().await.expect("page");
    assert!(text.contains("replies to your comments"), "{text}");
    assert_eq!(settings(&app, &ada).await["reply"]["email"], "immediate");

    for _ in 0..2 {
        let done = app
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("POST");
        assert_eq!(done.status(), 200);
        assert!(done.text().await.expect("page").contains("Unsubscribed"));
    }
    let now = settings(&app, &ada).await;
    assert_eq!(now["reply"], json!({"in_app": true, "email": "off"}));
    assert_eq!(now["ban"]["email"], "immediate", "other kinds untouched");

    app.comment_id(&bob, &slug, "Second reply", Some(parent))
        .await;
    a_few_ticks(&app).await;
    assert_eq!(notification_mail_to(&smtp, "ada@example.com").len(), 1);
    let unread: Value = json_with_status(app.get_as(&ada.token, "/api/v1/me").await, 200).await;
    assert_eq!(unread["unread_notifications"], 2, "in-app stays on");

    // The link's token authenticates nothing.
    let token = url.split("token=").nth(1).expect("token");
    assert_eq!(app.get_as(token, "/api/v1/me").await.status(), 401);
    // Once the account is deleted, its links lead nowhere.
    let response = app
        .request(reqwest::Method::DELETE, "/api/v1/me")
        .bearer_auth(&ada.token)
        .json(&json!({"password": crate::helpers::STRONG_PASSWORD}))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(response.status(), 204);
    assert_eq!(app.get(path).await.status(), 404);
}

#[tokio::test]
async fn unsubscribe_links_that_do_not_work_are_refused_with_a_page() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada").await;
    for path in [
        "/unsubscribe".to_owned(),
        "/unsubscribe?token=garbage".to_owned(),
        format!("/unsubscribe?token={}", ada.token),
    ] {
        let page = app.get(&path).await;
        assert_eq!(page.status(), 404, "{path}");
        assert!(page.text().await.expect("page").contains("does not work"));
        let post = app
            .request(reqwest::Method::POST, &path)
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("POST");
        assert_eq!(post.status(), 404, "{path}");
    }
    assert_eq!(settings(&app, &ada).await["reply"]["email"], "daily");
}

#[tokio::test]
async fn a_daily_digest_gathers_the_days_notifications_by_the_test_clock() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Trade talks", &[]).await;
    let ada = verified(&app, &smtp, "ada").await;
    let bob = app.register("bob").await;
    let parent = app.comment_id(&ada, &slug, "Tariffs by March?", None).await;
    for n in 1..=3 {
        app.comment_id(&bob, &slug, &format!("Reply number {n}"), Some(parent))
            .await;
    }
    a_few_ticks(&app).await;
    assert!(notification_mail_to(&smtp, "ada@example.com").is_empty());
    assert_eq!(pending_marks(&app).await, 3, "waiting for the digest");

    app.clock.advance(chrono::Duration::hours(23));
    a_few_ticks(&app).await;
    assert!(
        notification_mail_to(&smtp, "ada@example.com").is_empty(),
        "not before a day"
    );

    app.clock.advance(chrono::Duration::hours(1));
    let mails = wait_for_mail(&smtp, "ada@example.com", 1).await;
    let digest = &mails[0];
    assert_eq!(
        digest.header("Subject"),
        Some("Your hindsight digest: 3 new notifications")
    );
    for n in 1..=3 {
        assert!(
            digest.text.contains(&format!("> Reply number {n}")),
            "{}",
            digest.text
        );
        assert!(digest.html.contains(&format!("Reply number {n}")));
    }
    assert!(digest.header("List-Unsubscribe").is_some());
    a_few_ticks(&app).await;
    assert_eq!(notification_mail_to(&smtp, "ada@example.com").len(), 1);
    assert_eq!(pending_marks(&app).await, 0);

    // The next reply waits for its own day.
    let bob = app.login(&bob).await;
    app.comment_id(&bob, &slug, "Reply number 4", Some(parent))
        .await;
    app.clock.advance(chrono::Duration::hours(12));
    a_few_ticks(&app).await;
    assert_eq!(notification_mail_to(&smtp, "ada@example.com").len(), 1);
    app.clock.advance(chrono::Duration::hours(12));
    let mails = wait_for_mail(&smtp, "ada@example.com", 2).await;
    assert_eq!(
        mails[1].header("Subject"),
        Some("Your hindsight digest: 1 new notification")
    );
    assert!(!mails[1].text.contains("Reply number 1"));

    // A digest's link stops the digest: every kind mailed daily, not the immediate ones.
    let url = unsubscribe_url(&mails[1]);
    let path = url.trim_start_matches("http://127.0.0.1:8080");
    let done = app
        .request(reqwest::Method::POST, path)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("POST");
    assert_eq!(done.status(), 200);
    let ada = app.login(&ada).await;
    let now = settings(&app, &ada).await;
    for kind in ["reply", "mention", "deadline_passed"] {
        assert_eq!(now[kind], json!({"in_app": true, "email": "off"}), "{kind}");
    }
    assert_eq!(now["ban"]["email"], "immediate");
    assert_eq!(now["prediction_resolved"]["email"], "immediate");
}

#[tokio::test]
async fn nothing_is_mailed_when_off_unverified_or_about_a_comment_that_is_gone() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Election night", &[]).await;
    let ada = verified(&app, &smtp, "ada").await;
    let dave = verified(&app, &smtp, "dave").await;
    let carl = app.register("carl").await;
    let bob = app.register("bob").await;
    set(&app, &ada, json!({"reply": {"email": "immediate"}})).await;
    set(&app, &carl, json!({"reply": {"email": "immediate"}})).await;
    set(&app, &dave, json!({"reply": {"email": "off"}})).await;
    for user in [&ada, &carl, &dave] {
        let parent = app
            .comment_id(user, &slug, "Turnout above 70%?", None)
            .await;
        app.comment_id(&bob, &slug, "Yes, easily", Some(parent))
            .await;
    }
    wait_for_mail(&smtp, "ada@example.com", 1).await;
    a_few_ticks(&app).await;
    assert!(
        notification_mail_to(&smtp, "carl@example.com").is_empty(),
        "unverified"
    );
    assert!(
        notification_mail_to(&smtp, "dave@example.com").is_empty(),
        "off"
    );
    assert_eq!(notification_rows_in_outbox(&app).await, 1);
    assert_eq!(pending_marks(&app).await, 0);

    // A digest whose only reply was deleted meanwhile is not sent.
    set(&app, &ada, json!({"reply": {"email": "daily"}})).await;
    let parent = app.comment_id(&ada, &slug, "Recount?", None).await;
    let reply = app
        .comment_id(&bob, &slug, "Regret this", Some(parent))
        .await;
    let deleted = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/comments/{reply}"),
        )
        .bearer_auth(&bob.token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(deleted.status(), 204);
    app.clock.advance(chrono::Duration::hours(25));
    a_few_ticks(&app).await;
    assert_eq!(notification_mail_to(&smtp, "ada@example.com").len(), 1);
    assert_eq!(notification_rows_in_outbox(&app).await, 1);
    assert_eq!(pending_marks(&app).await, 0);
}

#[tokio::test]
async fn a_notification_not_mailed_within_two_days_is_dropped_unmailed() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Late news", &[]).await;
    let ada = verified(&app, &smtp, "ada").await;
    let bob = app.register("bob").await;
    let parent = app.comment_id(&ada, &slug, "Any bets?", None).await;
    app.comment_id(&bob, &slug, "One bet", Some(parent)).await;
    assert_eq!(pending_marks(&app).await, 1);
    // The clock jumps past the digest and past staleness at once (as after an outage of the
    // mail job): old news is not mailed, and the mark goes.
    app.clock.advance(chrono::Duration::hours(49));
    a_few_ticks(&app).await;
    assert_eq!(pending_marks(&app).await, 0);
    assert!(notification_mail_to(&smtp, "ada@example.com").is_empty());
}
