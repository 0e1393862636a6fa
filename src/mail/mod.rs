//! Outgoing mail through a durable outbox (`mail_outbox`).
//!
//! A feature that sends mail calls [`queries::enqueue`] inside the transaction of what causes
//! the mail (a reset request, a verification, a notification), so the mail is stored exactly
//! when its cause commits: never lost, never sent for a cause that rolled back, and a request
//! never waits on SMTP. The worker (`worker.rs`, started only when `smtp_url` is set) sends due
//! rows with retries and backoff (`domain.rs`); permanent failures stay in the table for
//! `GET /api/v1/admin/mail-failures` (`routes.rs`).

pub mod domain;
pub mod queries;
pub mod routes;
pub mod templates;
pub mod transport;
pub mod worker;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Secret;

/// How long a sent mail stays in the outbox before the retention job deletes it.
pub const SENT_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// The mail settings (README's configuration table).
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://`, `smtps://` (TLS) or `smtp://…?tls=required` (STARTTLS), with optional
    /// `user:password@`; unset: no mail is sent (the outbox still fills).
    pub smtp_url: Option<Secret>,
    /// A PEM file of root certificates the SMTP TLS trusts besides the webpki (Mozilla) roots:
    /// for a private relay whose certificate comes from an in-house CA or is self-signed
    /// (and for the tests' loopback server). Verification stays on; the certificate must name
    /// the host of `smtp_url`. Unset: the webpki roots only.
    pub smtp_ca_file: Option<PathBuf>,
    /// The `From` of every mail, e.g. `hindsight <noreply@example.com>`.
    pub from: String,
    /// The service's public base URL, for links in mails.
    pub public_url: String,
    /// How often the worker looks for due mail.
    pub poll: Duration,
    /// Sending attempts before a mail is marked failed.
    pub max_attempts: u32,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_ca_file: None,
            from: "hindsight <noreply@localhost>".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            poll: Duration::from_secs(5),
            max_attempts: 8,
        }
    }
}

impl MailSettings {
    /// Checks what can be checked without a connection (including reading `smtp_ca_file`);
    /// the error names the file key and never quotes the SMTP URL (it may carry a password).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        // Read here, at startup, so that a missing or empty file stops the service instead of
        // every mail failing later.
        let roots = match &self.smtp_ca_file {
            Some(path) => transport::root_certificates(path).map_err(|m| ("smtp_ca_file", m))?,
            None => Vec::new(),
        };
        if let Some(url) = &self.smtp_url {
            transport::transport(url, &roots).map_err(|error| match error {
                transport::TransportError::Url => (
                    "smtp_url",
                    "must be an smtp:// or smtps:// URL like smtp://user:password@host:587?tls=required"
                        .to_owned(),
                ),
                transport::TransportError::Tls(message) => ("smtp_ca_file", message),
            })?;
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err((
                "mail_from",
                format!("`{}` is not an address like `name <user@host>`", self.from),
            ));
        }
        let url = &self.public_url;
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
            return Err((
                "public_url",
                format!("`{url}` is not a base URL like https://example.com (no trailing slash)"),
            ));
        }
        Ok(())
    }
}

/// A mail to send, as a feature writes it into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// One address, e.g. `ada@example.com`.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (always sent).
    pub text_body: String,
    /// An HTML alternative: with it the mail is multipart/alternative.
    pub html_body: Option<String>,
    /// `List-Unsubscribe` (e.g. `<https://…/unsubscribe?token=…>`), for notification mail.
    pub list_unsubscribe: Option<String>,
    /// `List-Unsubscribe-Post` (`List-Unsubscribe=One-Click`, RFC 8058).
    pub list_unsubscribe_post: Option<String>,
    /// Why it is sent (`password_reset`, `verification`, `notification`…), for admins.
    pub purpose: String,
}

impl OutgoingMail {
    /// A plain-text mail; set the other fields as needed.
    pub fn new(
        purpose: impl Into<String>,
        recipient: impl Into<String>,
        subject: impl Into<String>,
        text_body: impl Into<String>,
    ) -> Self {
        Self {
            recipient: recipient.into(),
            subject: subject.into(),
            text_body: text_body.into(),
            html_body: None,
            list_unsubscribe: None,
            list_unsubscribe_post: None,
            purpose: purpose.into(),
        }
    }
}
