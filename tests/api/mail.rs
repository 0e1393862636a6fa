//! The mail outbox against a real SMTP listener on loopback (`smtp.rs`): delivery with
//! multipart bodies and headers, SMTP down then up (nothing lost, nothing sent twice), 4xx
//! retried, 5xx and unbuildable mail failed and listed for admins, two instances sending each
//! mail once, a rolled-back cause leaving no mail, retention, and no sending without
//! `smtp_url`.

use std::time::Duration;

use hindsight::config::Secret;
use hindsight::mail::OutgoingMail;
use serde_json::Value;

use crate::helpers::{assert_problem, TestApp};
use crate::smtp::{app_sending_to, SmtpServer};

/// Writes a mail into the outbox the way a feature will: through `enqueue` on a connection to
/// the app's database, at the app's clock.
pub(crate) async fn enqueue(app: &TestApp, mail: &OutgoingMail) -> i64 {
    let mut conn = app.db().await;
    hindsight::mail::queries::enqueue(&mut conn, mail, app.clock.now())
        .await
        .expect("enqueue")
}

pub(crate) fn plain(n: usize) -> OutgoingMail {
    OutgoingMail::new(
        "test",
        format!("reader{n}@example.com"),
        format!("Mail number {n}"),
        format!("Body of mail {n}."),
    )
}

/// Polls `condition` every 20 ms for up to 10 s.
pub(crate) async fn eventually(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let started = std::time::Instant::now();
    while !condition().await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lets the worker tick a few more times (to see that nothing more happens).
pub(crate) async fn a_few_ticks() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

#[tokio::test]
async fn a_mail_is_delivered_as_multipart_with_its_headers() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let mut mail = plain(1);
    mail.html_body = Some("<p>Body of <b>mail</b> 1.</p>".to_owned());
    mail.list_unsubscribe = Some("<http://127.0.0.1:8080/unsubscribe?t=abc>".to_owned());
    mail.list_unsubscribe_post = Some("List-Unsubscribe=One-Click".to_owned());
    let id = enqueue(&app, &mail).await;

    eventually("the delivery", async || smtp.received().len() == 1).await;
    let received = &smtp.received()[0];
    assert_eq!(received.from, "noreply@localhost");
    assert_eq!(received.to, ["reader1@example.com"]);
    let data = &received.data;
    for expected in [
        "Subject: Mail number 1",
        "To: reader1@example.com",
        "From: hindsight <noreply@localhost>",
        "Message-ID: <",
        "List-Unsubscribe: <http://127.0.0.1:8080/unsubscribe?t=abc>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "multipart/alternative",
        "Content-Type: text/plain",
        "Body of mail 1.",
        "Content-Type: text/html",
        "<p>Body of <b>mail</b> 1.</p>",
    ] {
        assert!(data.contains(expected), "no {expected:?} in:\n{data}");
    }
    eventually("sent_at", async || {
        app.count(&format!(
            "SELECT count(*) FROM mail_outbox WHERE id = {id} AND sent_at IS NOT NULL AND attempts = 0"
        ))
        .await
            == 1
    })
    .await;
    a_few_ticks().await;
    assert_eq!(smtp.received().len(), 1, "sent once");
}

#[tokio::test]
async fn smtp_down_then_up_delivers_each_mail_exactly_once_after_a_retry() {
    let mut smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    smtp.stop();
    let ids = [
        enqueue(&app, &plain(1)).await,
        enqueue(&app, &plain(2)).await,
    ];

    eventually("a failed attempt each", async || {
        app.count("SELECT count(*) FROM mail_outbox WHERE attempts = 1 AND last_error IS NOT NULL")
            .await
            == 2
    })
    .await;
    assert_eq!(
        app.count(
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL"
        )
        .await,
        0,
        "a refused connection is transient"
    );

    smtp.restart().await;
    a_few_ticks().await;
    assert!(
        smtp.received().is_empty(),
        "the retry waits for its backoff"
    );

    app.clock.advance(chrono::Duration::seconds(31));
    eventually("both deliveries", async || smtp.received().len() == 2).await;
    a_few_ticks().await;
    let mut recipients: Vec<String> = smtp.received().iter().map(|r| r.to[0].clone()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["reader1@example.com", "reader2@example.com"],
        "once each"
    );
    for id in ids {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM mail_outbox WHERE id = {id} AND sent_at IS NOT NULL \
                 AND attempts = 1 AND failed_at IS NULL"
            ))
            .await,
            1
        );
    }
}

#[tokio::test]
async fn a_4xx_is_retried_until_the_last_attempt_fails() {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(|s| {
        s.mail.smtp_url = Some(Secret::new(url));
        s.mail.poll = Duration::from_millis(50);
        s.mail.max_attempts = 2;
    })
    .await;
    smtp.refuse_with(Some("451 4.3.0 try again later"));
    enqueue(&app, &plain(1)).await;
    eventually("a first failed attempt", async || {
        app.count("SELECT count(*) FROM mail_outbox WHERE attempts = 1 AND failed_at IS NULL")
            .await
            == 1
    })
    .await;
    app.clock.advance(chrono::Duration::seconds(31));
    eventually("the last attempt", async || {
        app.count(
            "SELECT count(*) FROM mail_outbox WHERE attempts = 2 AND failed_at IS NOT NULL \
             AND last_error LIKE '%try again later%'",
        )
        .await
            == 1
    })
    .await;
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn a_5xx_fails_at_once_and_is_listed_for_admins_only() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    // Registering mails a verification link: let both go out before the server refuses.
    let admin = app.register_with_role("mail_admin", "admin").await;
    let reader = app.register("mail_reader").await;
    eventually("the verification mails", async || {
        smtp.received().len() == 2
    })
    .await;
    smtp.refuse_with(Some("550 5.1.1 no such mailbox"));
    let mut mail = plain(7);
    mail.text_body = "Your reset token is SECRET-TOKEN".to_owned();
    mail.purpose = "password_reset".to_owned();
    let id = enqueue(&app, &mail).await;
    eventually("the failure", async || {
        app.count("SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL")
            .await
            == 1
    })
    .await;
    assert_eq!(smtp.received().len(), 2, "only the verification mails");

    let response = app
        .get_as(&admin.token, "/api/v1/admin/mail-failures")
        .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("json");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    let failure = &items[0];
    assert_eq!(failure["id"], id);
    assert_eq!(failure["recipient"], "reader7@example.com");
    assert_eq!(failure["subject"], "Mail number 7");
    assert_eq!(failure["purpose"], "password_reset");
    assert_eq!(failure["attempts"], 1);
    assert!(
        failure["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("no such mailbox")),
        "{failure}"
    );
    assert!(failure["failed_at"].is_string() && failure["created_at"].is_string());
    assert!(
        !page.to_string().contains("SECRET-TOKEN"),
        "bodies are never listed"
    );
    assert!(page["next_cursor"].is_null());

    assert_problem(
        app.get_as(&reader.token, "/api/v1/admin/mail-failures")
            .await,
        403,
    )
    .await;
    assert_problem(app.get("/api/v1/admin/mail-failures").await, 401).await;
}

#[tokio::test]
async fn the_failure_list_pages() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    for n in 0..3 {
        let id = hindsight::mail::queries::enqueue(&mut conn, &plain(n), app.clock.now())
            .await
            .expect("enqueue");
        let at = app.clock.now() + chrono::Duration::seconds(i64::try_from(n).expect("small"));
        hindsight::mail::queries::mark_failed(&mut conn, id, "550 no", at)
            .await
            .expect("mark failed");
    }
    let admin = app.admin().await;
    let first: Value = app
        .get_as(&admin.token, "/api/v1/admin/mail-failures?limit=2")
        .await
        .json()
        .await
        .expect("json");
    let subjects = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["subject"].as_str().expect("subject").to_owned())
            .collect()
    };
    assert_eq!(subjects(&first), ["Mail number 2", "Mail number 1"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second: Value = app
        .get_as(
            &admin.token,
            &format!("/api/v1/admin/mail-failures?limit=2&cursor={cursor}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(subjects(&second), ["Mail number 0"]);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_mail_once() {
    let smtp = SmtpServer::start().await;
    // Each message takes a while, so both workers are sending at the same time.
    smtp.delay_each(Duration::from_millis(30));
    let first = app_sending_to(&smtp).await;
    let url = smtp.url();
    let second = first
        .second_instance_with(|s| {
            s.mail.smtp_url = Some(Secret::new(url));
            s.mail.poll = Duration::from_millis(50);
        })
        .await;
    let mut conn = first.db().await;
    for n in 0..20 {
        hindsight::mail::queries::enqueue(&mut conn, &plain(n), first.clock.now())
            .await
            .expect("enqueue");
    }
    eventually("every delivery", async || smtp.received().len() >= 20).await;
    a_few_ticks().await;
    let mut recipients: Vec<String> = smtp.received().iter().map(|r| r.to[0].clone()).collect();
    assert_eq!(recipients.len(), 20, "no mail sent twice");
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 20, "each mail once");
    assert_eq!(
        second
            .count("SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL AND attempts = 0")
            .await,
        20
    );
}

#[tokio::test]
async fn without_an_smtp_url_nothing_is_sent_and_the_service_runs() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn().await;
    enqueue(&app, &plain(1)).await;
    a_few_ticks().await;
    assert!(smtp.received().is_empty());
    assert_eq!(
        app.count(
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
             AND attempts = 0"
        )
        .await,
        1,
        "the mail waits in the outbox"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn a_row_locked_by_another_sender_is_skipped_until_released() {
    use diesel_async::SimpleAsyncConnection;
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    // Both due in an hour, so the worker leaves them alone until the lock is in place.
    let mut conn = app.db().await;
    let later = app.clock.now() + chrono::Duration::hours(1);
    let held = hindsight::mail::queries::enqueue(&mut conn, &plain(1), later)
        .await
        .expect("enqueue");
    hindsight::mail::queries::enqueue(&mut conn, &plain(2), later)
        .await
        .expect("enqueue");
    // What another instance's claim holds while it talks to its SMTP server.
    conn.batch_execute(&format!(
        "BEGIN; SELECT id FROM mail_outbox WHERE id = {held} FOR UPDATE"
    ))
    .await
    .expect("lock the row");
    app.clock.advance(chrono::Duration::hours(2));

    eventually("the unlocked mail", async || smtp.received().len() == 1).await;
    a_few_ticks().await;
    let received = smtp.received();
    assert_eq!(
        received.len(),
        1,
        "the locked row is skipped, not waited for"
    );
    assert_eq!(received[0].to, ["reader2@example.com"]);

    conn.batch_execute("COMMIT").await.expect("release");
    eventually("the released mail", async || smtp.received().len() == 2).await;
    assert_eq!(smtp.received()[1].to, ["reader1@example.com"]);
}

#[tokio::test]
async fn retention_deletes_mail_sent_over_a_week_ago_and_keeps_the_rest() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    let epoch = app.clock.now();
    let mut ids = Vec::new();
    for n in 0..4 {
        let id = hindsight::mail::queries::enqueue(&mut conn, &plain(n), epoch)
            .await
            .expect("enqueue");
        ids.push(id);
    }
    let day = chrono::Duration::days(1);
    hindsight::mail::queries::mark_sent(&mut conn, ids[0], epoch)
        .await
        .expect("sent long ago");
    hindsight::mail::queries::mark_sent(&mut conn, ids[1], epoch + day * 6)
        .await
        .expect("sent recently");
    hindsight::mail::queries::mark_failed(&mut conn, ids[2], "550 no", epoch)
        .await
        .expect("failed long ago");
    let keep = hindsight::notifications::jobs::Retention {
        notifications: Duration::from_secs(90 * 86_400),
        events: Duration::from_secs(48 * 3_600),
    };
    let ran = hindsight::notifications::jobs::prune(
        &mut conn,
        Duration::from_secs(3_600),
        keep,
        epoch + day * 8,
    )
    .await
    .expect("prune");
    assert!(ran);
    let left = app
        .count(&format!(
            "SELECT count(*) FROM mail_outbox WHERE id IN ({}, {}, {})",
            ids[1], ids[2], ids[3]
        ))
        .await;
    assert_eq!(left, 3, "recently sent, failed and pending mail stay");
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox").await, 3);
}

#[tokio::test]
async fn mail_enqueued_in_a_rolled_back_transaction_never_exists() {
    use diesel_async::AsyncConnection;
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let mut conn = app.db().await;
    let now = app.clock.now();
    let outcome: Result<(), diesel::result::Error> = conn
        .transaction(async |conn| {
            hindsight::mail::queries::enqueue(conn, &plain(1), now).await?;
            // The cause fails after its mail was written: both go.
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(outcome.is_err());
    a_few_ticks().await;
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox").await, 0);
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn a_mail_that_cannot_be_built_fails_without_retries() {
    let smtp = SmtpServer::start().await;
    let app = app_sending_to(&smtp).await;
    let mut mail = plain(1);
    mail.recipient = "not an address".to_owned();
    enqueue(&app, &mail).await;
    eventually("the failure", async || {
        app.count(
            "SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL AND attempts = 1 \
             AND last_error LIKE 'invalid recipient%'",
        )
        .await
            == 1
    })
    .await;
    assert!(smtp.received().is_empty());
}
