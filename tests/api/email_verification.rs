//! Email verification through HTTP, with the links read from mail delivered to a real SMTP
//! listener on loopback (`smtp.rs`): the link mailed at registration verifies once, an expired
//! link is refused, a new link can be asked for, and with `require_verified_email` an
//! unverified account is read-only until it follows its link.

use std::time::Duration;

use hindsight::config::Secret;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_with_status, problem_fields, TestApp, TestUser};
use crate::smtp::SmtpServer;

async fn app_sending_to(smtp: &SmtpServer, require_verified: bool) -> TestApp {
    let url = smtp.url();
    TestApp::spawn_with(|s| {
        s.mail.smtp_url = Some(Secret::new(url));
        s.mail.poll = Duration::from_millis(50);
        s.require_verified_email = require_verified;
    })
    .await
}

/// The `n`-th message delivered to `recipient`, waiting up to 10 s for it.
async fn nth_mail_to(smtp: &SmtpServer, recipient: &str, n: usize) -> String {
    let started = std::time::Instant::now();
    loop {
        let mails: Vec<String> = smtp
            .received()
            .into_iter()
            .filter(|m| m.to.iter().any(|to| to == recipient))
            .map(|m| m.data)
            .collect();
        if let Some(data) = mails.get(n) {
            return data.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for mail {n} to {recipient}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The token of the verification link in a delivered message (undoing quoted-printable).
fn token_in(data: &str) -> String {
    let decoded = data.replace("=\r\n", "").replace("=3D", "=");
    let start = decoded
        .find("/verify-email?token=")
        .unwrap_or_else(|| panic!("no link in:\n{data}"))
        + "/verify-email?token=".len();
    decoded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await
}

async fn email_verified(app: &TestApp, user: &TestUser) -> bool {
    let me: Value = json_with_status(app.get_as(&user.token, "/api/v1/me").await, 200).await;
    me["email_verified"].as_bool().expect("email_verified")
}

async fn assert_token_refused(response: reqwest::Response) {
    let problem = assert_problem(response, 422).await;
    assert_eq!(
        problem_fields(&problem),
        [("token".to_owned(), "invalid_value".to_owned())]
    );
}

#[tokio::test]
async fn the_link_mailed_at_registration_verifies_once() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp, false).await;
    let ada = app.register("ada").await;
    assert!(!email_verified(&app, &ada).await);

    let mail = nth_mail_to(&smtp, "ada@example.com", 0).await;
    for expected in [
        "Subject: Confirm your email address",
        "Content-Type: text/plain",
        "Content-Type: text/html",
    ] {
        assert!(mail.contains(expected), "no {expected:?} in:\n{mail}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE purpose = 'verify_email'")
            .await,
        1
    );
    let token = token_in(&mail);
    assert_eq!(token.len(), 43, "{token}");
    assert_eq!(
        app.count("SELECT count(*) FROM email_verifications WHERE used_at IS NULL")
            .await,
        1,
        "stored hashed, unused"
    );

    assert_eq!(verify(&app, &token).await.status(), 204);
    assert!(email_verified(&app, &ada).await);
    assert_token_refused(verify(&app, &token).await).await;
    assert_token_refused(verify(&app, "not-a-token").await).await;

    // Verified already: asking for a new link sends nothing.
    let resent = app
        .post_as(&ada.token, "/api/v1/me/email-verification", &json!({}))
        .await;
    assert_eq!(resent.status(), 204);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn an_expired_link_is_refused_and_a_new_one_can_be_asked_for() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp, false).await;
    let bob = app.register("bob").await;
    let old = token_in(&nth_mail_to(&smtp, "bob@example.com", 0).await);

    app.clock
        .advance(chrono::Duration::hours(48) + chrono::Duration::seconds(1));
    assert_token_refused(verify(&app, &old).await).await;

    let bob = app.login(&bob).await;
    assert!(!email_verified(&app, &bob).await);
    let resent = app
        .post_as(&bob.token, "/api/v1/me/email-verification", &json!({}))
        .await;
    assert_eq!(resent.status(), 204);
    let new = token_in(&nth_mail_to(&smtp, "bob@example.com", 1).await);
    assert_ne!(new, old);
    assert_eq!(verify(&app, &new).await.status(), 204);
    assert!(email_verified(&app, &bob).await);
}

#[tokio::test]
async fn with_verification_required_an_unverified_account_is_read_only() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp, true).await;
    let admin = app.admin().await;
    let slug = app
        .create_article(&admin, "Read-only until verified", &[])
        .await;
    let cyd = app.register("cyd").await;

    let refused = app
        .post_as(
            &cyd.token,
            &format!("/api/v1/articles/{slug}/comments"),
            &json!({"body": "First!"}),
        )
        .await;
    let problem = assert_problem(refused, 403).await;
    assert_eq!(problem["type"], "/problems/email-unverified");
    // Reading, the own account and its profile stay open.
    let thread = app
        .get_as(&cyd.token, &format!("/api/v1/articles/{slug}/comments"))
        .await;
    assert_eq!(thread.status(), 200);
    assert!(!email_verified(&app, &cyd).await);
    let profile = app
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(&cyd.token),
            &json!({"bio": "Waiting for my mail"}),
        )
        .await;
    assert_eq!(profile.status(), 200);

    let token = token_in(&nth_mail_to(&smtp, "cyd@example.com", 0).await);
    assert_eq!(verify(&app, &token).await.status(), 204);
    app.comment(&cyd, &slug, "First, verified.", None).await;
}

#[tokio::test]
async fn an_email_change_mails_the_new_address_notices_the_old_and_resets_verification() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp, false).await;
    let dee = app.register("dee").await;
    let first = token_in(&nth_mail_to(&smtp, "dee@example.com", 0).await);
    assert_eq!(verify(&app, &first).await.status(), 204);
    // A second link to the old address, still unused when the address changes.
    let resent = app
        .post_as(&dee.token, "/api/v1/me/email-verification", &json!({}))
        .await;
    assert_eq!(resent.status(), 204);
    assert_eq!(smtp.received().len(), 1, "verified already: nothing sent");
    let used = first.clone();
    {
        let response = app
            .send_json(
                reqwest::Method::PATCH,
                "/api/v1/me",
                Some(&dee.token),
                &json!({"email": "DEE@example.com"}),
            )
            .await;
        assert_eq!(response.status(), 200, "same address in another case");
        assert!(email_verified(&app, &dee).await, "unchanged");
    }

    let changed = app
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(&dee.token),
            &json!({"email": "dee@new.example.com"}),
        )
        .await;
    let account: Value = json_with_status(changed, 200).await;
    assert_eq!(account["email"], "dee@new.example.com");
    assert!(!email_verified(&app, &dee).await);

    let notice = nth_mail_to(&smtp, "dee@example.com", 1).await;
    assert!(
        notice.contains("Subject: Your email address was changed"),
        "{notice}"
    );
    assert!(
        !notice.contains("verify-email?token"),
        "no link in the notice"
    );
    let link = nth_mail_to(&smtp, "dee@new.example.com", 0).await;
    let new = token_in(&link);
    assert_token_refused(verify(&app, &used).await).await;
    assert_eq!(verify(&app, &new).await.status(), 204);
    assert!(email_verified(&app, &dee).await);
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE purpose = 'email_changed'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_link_for_an_address_the_account_no_longer_has_is_refused() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp, false).await;
    let eve = app.register("eve").await;
    let old = token_in(&nth_mail_to(&smtp, "eve@example.com", 0).await);
    let changed = app
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(&eve.token),
            &json!({"email": "eve@new.example.com"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_token_refused(verify(&app, &old).await).await;
    assert!(!email_verified(&app, &eve).await);
    app.register("fay").await;
    let taken = app
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(&eve.token),
            &json!({"email": "FAY@example.com"}),
        )
        .await;
    assert_eq!(taken.status(), 409);
}
