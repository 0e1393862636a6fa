//! Password reset through HTTP against a real SMTP listener (`smtp.rs`): the flow end to end,
//! a token used twice or after its hour, no enumeration (unknown and deleted accounts), no mail without SMTP, the password
//! rules, the rate limit, and the command line's link.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, hindsight_cli, json_with_status, problem_fields, rule, TestApp, STRONG_PASSWORD,
};
use crate::smtp::{app_sending_to, SmtpServer};

const NEW_PASSWORD: &str = "copper-meadow-whistles-42";

/// The mails of the reset flow, in order: registration's verification links
/// (`email_verification.rs` tests those) are left out.
fn reset_mails(smtp: &SmtpServer) -> Vec<crate::smtp::Received> {
    smtp.received()
        .into_iter()
        .filter(|mail| !mail.data.contains("/verify-email?token"))
        .collect()
}

/// Polls until `smtp` holds `count` mails of the reset flow (10 s at most).
async fn wait_for_mails(smtp: &SmtpServer, count: usize) {
    let started = std::time::Instant::now();
    while reset_mails(smtp).len() < count {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no mail arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The token of the reset link in a delivered message (quoted-printable soft breaks undone).
fn token_in(data: &str) -> String {
    let decoded = data.replace("=\r\n", "").replace("=3D", "=");
    let start = decoded
        .find("/reset-password?token=")
        .expect("a reset link")
        + "/reset-password?token=".len();
    decoded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn ask_reset(app: &TestApp, email: &str) -> Value {
    json_with_status(
        app.post("/api/v1/auth/password-reset", &json!({"email": email}))
            .await,
        202,
    )
    .await
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": token, "new_password": password}),
    )
    .await
}

async fn login_status(app: &TestApp, username: &str, password: &str) -> u16 {
    app.post(
        "/api/v1/auth/login",
        &json!({"login": username, "password": password}),
    )
    .await
    .status()
    .as_u16()
}

fn assert_names_token(problem: &Value) {
    assert_eq!(
        problem_fields(problem),
        [("token".to_owned(), "invalid_token".to_owned())]
    );
}

#[tokio::test]
async fn a_reset_mails_a_link_that_sets_the_password_and_ends_every_session() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let user = app.register("ada").await;

    let body = ask_reset(&app, "ADA@example.com").await;
    assert_eq!(body["mail_enabled"], true);
    wait_for_mails(&smtp, 1).await;
    let mail = &reset_mails(&smtp)[0];
    assert_eq!(mail.to, ["ada@example.com"]);
    assert!(mail.data.contains("Subject: Reset your hindsight password"));
    assert!(mail.data.contains("text/html"), "an HTML part too");
    let token = token_in(&mail.data);
    assert_eq!(token.len(), 43, "32 bytes in base64url");
    assert_eq!(
        app.count("SELECT count(*) FROM password_resets").await,
        1,
        "stored"
    );

    assert_eq!(confirm(&app, &token, NEW_PASSWORD).await.status(), 204);
    assert_eq!(login_status(&app, "ada", STRONG_PASSWORD).await, 401);
    assert_eq!(login_status(&app, "ada", NEW_PASSWORD).await, 200);
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(refresh.status(), 401, "the old refresh token is revoked");
    assert_eq!(app.get_as(&user.token, "/api/v1/me").await.status(), 401);

    wait_for_mails(&smtp, 2).await;
    let notice = &reset_mails(&smtp)[1];
    assert_eq!(notice.to, ["ada@example.com"]);
    assert!(notice
        .data
        .contains("Subject: Your hindsight password was changed"));
}

#[tokio::test]
async fn a_token_works_once_and_for_an_hour() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    app.register("ada").await;
    ask_reset(&app, "ada@example.com").await;
    wait_for_mails(&smtp, 1).await;
    let token = token_in(&reset_mails(&smtp)[0].data);
    assert_eq!(confirm(&app, &token, NEW_PASSWORD).await.status(), 204);
    let reused = assert_problem(
        confirm(&app, &token, "another-long-pass-phrase-7").await,
        422,
    )
    .await;
    assert_names_token(&reused);
    assert_eq!(login_status(&app, "ada", NEW_PASSWORD).await, 200);

    ask_reset(&app, "ada@example.com").await;
    wait_for_mails(&smtp, 3).await;
    let later = smtp
        .received()
        .iter()
        .rev()
        .find(|m| m.data.contains("Subject: Reset your"))
        .map(|m| token_in(&m.data))
        .expect("a second reset mail");
    app.clock.advance(chrono::Duration::minutes(61));
    let expired = assert_problem(confirm(&app, &later, STRONG_PASSWORD).await, 422).await;
    assert_names_token(&expired);
    let unknown = assert_problem(confirm(&app, "not-a-token", STRONG_PASSWORD).await, 422).await;
    assert_eq!(
        expired["errors"], unknown["errors"],
        "one answer for expired and unknown"
    );
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    app.register("ada").await;
    let unknown = ask_reset(&app, "nobody@example.com").await;
    let known = ask_reset(&app, "ada@example.com").await;
    assert_eq!(unknown, known);
    wait_for_mails(&smtp, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = reset_mails(&smtp);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["ada@example.com"]);

    let grace = app.register("grace").await;
    let deleted = app
        .request(reqwest::Method::DELETE, "/api/v1/me")
        .bearer_auth(&grace.token)
        .json(&json!({"password": STRONG_PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 204);
    assert_eq!(ask_reset(&app, "grace@example.com").await, known);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(reset_mails(&smtp).len(), 1, "no mail for a deleted account");
}

#[tokio::test]
async fn a_weak_password_is_refused_naming_new_password() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    app.register("ada").await;
    ask_reset(&app, "ada@example.com").await;
    wait_for_mails(&smtp, 1).await;
    let token = token_in(&reset_mails(&smtp)[0].data);
    let problem = assert_problem(confirm(&app, &token, "ada").await, 422).await;
    assert!(problem_fields(&problem)
        .iter()
        .all(|(field, _)| field == "new_password"));
    assert!(!problem_fields(&problem).is_empty());
    assert_eq!(
        confirm(&app, &token, NEW_PASSWORD).await.status(),
        204,
        "a refused password leaves the token usable"
    );
}

#[tokio::test]
async fn without_smtp_the_answer_says_mail_is_off_and_nothing_is_queued() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let body = ask_reset(&app, "ada@example.com").await;
    assert_eq!(body["mail_enabled"], false);
    assert_eq!(body, ask_reset(&app, "nobody@example.com").await);
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM password_resets").await, 0);
}

#[tokio::test]
async fn requests_are_limited_per_address_and_per_ip() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits.enabled = true;
        s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        s.rate_limits.password_reset_per_address = rule("2/hour");
        s.rate_limits.password_reset_per_ip = rule("3/hour");
    })
    .await;
    let ask = |ip: &'static str, email: &'static str| {
        app.request(reqwest::Method::POST, "/api/v1/auth/password-reset")
            .header("x-forwarded-for", ip)
            .json(&json!({"email": email}))
            .send()
    };
    for ip in ["10.0.0.1", "10.0.0.2"] {
        assert_eq!(
            ask(ip, "ada@example.com").await.expect("sent").status(),
            202
        );
    }
    let limited = ask("10.0.0.3", "ADA@example.com").await.expect("sent");
    assert_problem(limited, 429).await;
    // 10.0.0.1 asked once above; two more addresses fill its three.
    for email in ["b@example.com", "c@example.com"] {
        assert_eq!(ask("10.0.0.1", email).await.expect("sent").status(), 202);
    }
    assert_problem(ask("10.0.0.1", "d@example.com").await.expect("sent"), 429).await;
}

#[tokio::test]
async fn the_command_line_prints_a_working_link() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let output = hindsight_cli(&app, &["reset-password", "ADA"]);
    assert!(output.status.success(), "{output:?}");
    let link = String::from_utf8(output.stdout).expect("utf-8");
    let token = token_in(&link);
    assert_eq!(token.len(), 43);
    assert_eq!(confirm(&app, &token, NEW_PASSWORD).await.status(), 204);
    assert_eq!(login_status(&app, "ada", NEW_PASSWORD).await, 200);

    let unknown = hindsight_cli(&app, &["reset-password", "nobody"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nobody"));
}
