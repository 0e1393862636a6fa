//! The mail worker over TLS and with AUTH, against the loopback SMTP server (`smtp/`) with a
//! certificate made at test time and trusted through `smtp_ca_file`: STARTTLS with AUTH PLAIN,
//! implicit TLS with AUTH LOGIN on an IP address, a wrong password, and the two ways TLS must
//! fail closed: a server without STARTTLS when the URL requires it, and a certificate the
//! service does not trust. Nothing of lettre's transport is mocked.

use std::path::Path;
use std::time::Duration;

use hindsight::config::Secret;

use crate::helpers::TestApp;
use crate::mail::{a_few_ticks, enqueue, eventually, plain};
use crate::smtp::{Options, SmtpServer, Tls};

const USER: &str = "mailer";
const PASSWORD: &str = "s3cret-relay-pass";

/// A server with `tls` that wants `USER` / `PASSWORD`, advertising `mechanisms`.
async fn server(tls: Tls, mechanisms: &'static str) -> SmtpServer {
    SmtpServer::start_with(Options {
        tls,
        auth: Some((USER.to_owned(), PASSWORD.to_owned())),
        mechanisms,
    })
    .await
}

/// An app whose worker sends to `url` every 50 ms, trusting `ca_file` when given.
async fn app_sending_to(url: String, ca_file: Option<&Path>) -> TestApp {
    let ca_file = ca_file.map(Path::to_path_buf);
    TestApp::spawn_with(|s| {
        s.mail.smtp_url = Some(Secret::new(url));
        s.mail.smtp_ca_file = ca_file;
        s.mail.poll = Duration::from_millis(50);
    })
    .await
}

/// Waits until the only mail has been tried at least once and checks that it is still
/// pending (a transient failure, to be retried) with an error containing `error`.
async fn tried_and_pending(app: &TestApp, error: &str) {
    eventually("a failed attempt", async || {
        app.count("SELECT count(*) FROM mail_outbox WHERE attempts >= 1")
            .await
            == 1
    })
    .await;
    let pending = app
        .count(&format!(
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
             AND last_error ILIKE '%{error}%'"
        ))
        .await;
    let last_error: Vec<String> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            last_error: String,
        }
        let mut conn = app.db().await;
        diesel::sql_query("SELECT coalesce(last_error, '') AS last_error FROM mail_outbox")
            .load::<Row>(&mut conn)
            .await
            .expect("last_error")
            .into_iter()
            .map(|r| r.last_error)
            .collect()
    };
    assert_eq!(
        pending, 1,
        "still pending, with {error:?} in {last_error:?}"
    );
}

#[tokio::test]
async fn starttls_with_auth_plain_delivers_over_tls_as_the_user() {
    let smtp = server(Tls::StartTls, "PLAIN LOGIN").await;
    let url = format!(
        "smtp://{USER}:{PASSWORD}@localhost:{}?tls=required",
        smtp.port()
    );
    let app = app_sending_to(url, Some(smtp.ca_file())).await;
    let id = enqueue(&app, &plain(1)).await;

    eventually("the delivery", async || smtp.received().len() == 1).await;
    let received = &smtp.received()[0];
    assert!(received.secure, "sent after STARTTLS");
    assert_eq!(received.auth_user.as_deref(), Some(USER));
    assert_eq!(received.to, ["reader1@example.com"]);
    assert!(
        received.data.contains("Body of mail 1."),
        "{}",
        received.data
    );
    eventually("sent_at", async || {
        app.count(&format!(
            "SELECT count(*) FROM mail_outbox WHERE id = {id} AND sent_at IS NOT NULL"
        ))
        .await
            == 1
    })
    .await;
}

#[tokio::test]
async fn implicit_tls_with_auth_login_delivers_to_an_ip_address() {
    // Only LOGIN is offered, so lettre cannot fall back on PLAIN; the URL names the server by
    // IP, which the certificate carries as an IP address SAN.
    let smtp = server(Tls::Implicit, "LOGIN").await;
    let url = format!("smtps://{USER}:{PASSWORD}@127.0.0.1:{}", smtp.port());
    let app = app_sending_to(url, Some(smtp.ca_file())).await;
    enqueue(&app, &plain(2)).await;

    eventually("the delivery", async || smtp.received().len() == 1).await;
    let received = &smtp.received()[0];
    assert!(received.secure, "TLS from the first byte");
    assert_eq!(received.auth_user.as_deref(), Some(USER));
    assert_eq!(received.to, ["reader2@example.com"]);
    eventually("sent_at", async || {
        app.count("SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL")
            .await
            == 1
    })
    .await;
}

/// A refused password is answered `535`. lettre calls every 5xx permanent, but a refused
/// login is the service's configuration, not the message: the mail stays pending, is retried
/// without using up its attempts (`mail::domain::classify`, `Failure::Login`), so once an
/// instance with the right password runs, it is delivered, once, and nothing queued meanwhile
/// is lost.
#[tokio::test]
async fn a_wrong_password_keeps_the_mail_pending_until_the_credentials_are_fixed() {
    let smtp = server(Tls::StartTls, "PLAIN LOGIN").await;
    let wrong = format!(
        "smtp://{USER}:wrong-pass@localhost:{}?tls=required",
        smtp.port()
    );
    // The database's owner sends nothing; a second instance holds the wrong password.
    let app = TestApp::spawn().await;
    let ca_file = smtp.ca_file().to_path_buf();
    let misconfigured = app
        .second_instance_with(|s| {
            s.mail.smtp_url = Some(Secret::new(wrong));
            s.mail.smtp_ca_file = Some(ca_file.clone());
            s.mail.poll = Duration::from_millis(50);
        })
        .await;
    enqueue(&app, &plain(3)).await;

    eventually("the refused login", async || {
        app.count(
            "SELECT count(*) FROM mail_outbox WHERE last_error LIKE '%535%' \
             AND sent_at IS NULL AND failed_at IS NULL AND attempts = 0",
        )
        .await
            == 1
    })
    .await;
    assert!(smtp.auth_attempts() >= 1, "the password was tried");
    assert!(smtp.received().is_empty());
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL")
            .await,
        0,
        "nothing given up"
    );

    // The credentials are fixed (the misconfigured instance goes, one with the right password
    // comes): after the backoff the mail goes out once.
    drop(misconfigured);
    let right = format!(
        "smtp://{USER}:{PASSWORD}@localhost:{}?tls=required",
        smtp.port()
    );
    let _fixed = app
        .second_instance_with(|s| {
            s.mail.smtp_url = Some(Secret::new(right));
            s.mail.smtp_ca_file = Some(ca_file);
            s.mail.poll = Duration::from_millis(50);
        })
        .await;
    app.clock.advance(chrono::Duration::minutes(5));
    eventually("the delivery", async || !smtp.received().is_empty()).await;
    a_few_ticks().await;
    let received = smtp.received();
    assert_eq!(received.len(), 1, "sent once");
    assert_eq!(received[0].auth_user.as_deref(), Some(USER));
    assert_eq!(received[0].to, ["reader3@example.com"]);
}

#[tokio::test]
async fn a_server_without_starttls_gets_nothing_in_clear_when_tls_is_required() {
    // A plain server that would take AUTH and mail in clear.
    let smtp = server(Tls::None, "PLAIN LOGIN").await;
    let url = format!(
        "smtp://{USER}:{PASSWORD}@localhost:{}?tls=required",
        smtp.port()
    );
    let ca_file = crate::smtp::write_temp("unused-ca.pem", &untrusted_pem());
    let app = app_sending_to(url, Some(&ca_file)).await;
    enqueue(&app, &plain(4)).await;

    tried_and_pending(&app, "STARTTLS").await;
    a_few_ticks().await;
    assert_eq!(smtp.auth_attempts(), 0, "no credentials in clear");
    assert!(smtp.received().is_empty(), "no mail in clear");
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_nothing_is_sent() {
    for tls in [Tls::StartTls, Tls::Implicit] {
        let smtp = server(tls, "PLAIN LOGIN").await;
        let url = smtp.url().replace("://", &format!("://{USER}:{PASSWORD}@"));
        // The webpki roots alone (no CA file), then another self-signed certificate.
        let other = crate::smtp::write_temp("other-ca.pem", &untrusted_pem());
        for ca_file in [None, Some(other.as_path())] {
            let app = app_sending_to(url.clone(), ca_file).await;
            enqueue(&app, &plain(5)).await;
            tried_and_pending(&app, "certificate").await;
            assert_eq!(smtp.auth_attempts(), 0, "{tls:?}: no credentials sent");
            assert!(smtp.received().is_empty(), "{tls:?}: no mail sent");
        }
    }
}

/// A valid self-signed certificate for `localhost` that no test server presents.
fn untrusted_pem() -> String {
    rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("certificate")
        .cert
        .pem()
}
