//! The outbox worker: started by `startup.rs` only when `smtp_url` is set. Every `mail_poll_ms`
//! it sends the due mail one row per transaction: the row is claimed with
//! `FOR UPDATE SKIP LOCKED` (so instances sharing the database never send the same row), sent
//! through lettre while the lock is held, and marked in the same transaction, committed right
//! after the server's answer. A transient failure (no connection, timeout, 4xx) schedules a
//! retry with backoff (`domain.rs`); a 5xx, an unbuildable mail or the last attempt marks the
//! row failed, listed for admins.
//!
//! Delivery is at least once, not exactly once: if the process dies, or the database is lost,
//! between the server's `250` to the message and the commit of `sent_at`, the row is still
//! pending and is sent again by the next claim. The window is one message wide (one row per
//! transaction) and a few milliseconds long; every message carries a unique `Message-ID`, so
//! a receiving system can drop the duplicate.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::domain::{after_failure, classify, Failure, Next};
use super::queries::{self, Claimed};
use super::MailSettings;
use crate::clock::Clock;
use crate::db::DbPool;

/// Most mails sent by one instance per tick (the rest wait for the next tick).
const BATCH: usize = 50;

/// The worker's fixed parts.
#[derive(Clone)]
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    max_attempts: u32,
}

impl Sender {
    /// A sender for `settings`, or `None` when no SMTP URL is set (or it, or the CA file, is
    /// unusable, which settings validation already refused).
    pub fn new(settings: &MailSettings) -> Option<Self> {
        let url = settings.smtp_url.as_ref()?;
        let roots = match &settings.smtp_ca_file {
            Some(path) => super::transport::root_certificates(path)
                .map_err(|error| tracing::error!(%error, "smtp_ca_file unusable: no mail is sent"))
                .ok()?,
            None => Vec::new(),
        };
        let transport = super::transport::transport(url, &roots)
            .map_err(|error| tracing::error!(%error, "smtp_url unusable: no mail is sent"))
            .ok()?;
        Some(Self {
            transport,
            from: settings.from.parse().ok()?,
            max_attempts: settings.max_attempts,
        })
    }
}

/// Starts the worker when `smtp_url` is set.
pub fn spawn(
    pool: &DbPool,
    settings: &MailSettings,
    clock: &Clock,
) -> Option<tokio::task::JoinHandle<()>> {
    let sender = Sender::new(settings)?;
    let (pool, clock, every) = (pool.clone(), clock.clone(), settings.poll);
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Ok(mut conn) = pool.get().await else {
                continue;
            };
            match send_due(&mut conn, &sender, &clock).await {
                Ok(0) => {}
                Ok(handled) => tracing::debug!(handled, "mail outbox"),
                Err(error) => tracing::warn!(%error, "mail outbox failed"),
            }
        }
    }))
}

/// Sends up to `BATCH` due mails, one transaction each; returns how many rows were handled.
pub async fn send_due(
    conn: &mut AsyncPgConnection,
    sender: &Sender,
    clock: &Clock,
) -> diesel::QueryResult<usize> {
    let mut handled = 0;
    while handled < BATCH {
        let step = conn
            .transaction(async |conn| {
                let Some(row) = queries::claim_due(conn, clock.now()).await? else {
                    return Ok::<_, diesel::result::Error>(Step::Empty);
                };
                let outcome = send_one(sender, &row).await;
                let refused_login = matches!(outcome, Err((Failure::Login, _)));
                record(conn, sender, &row, outcome, clock.now()).await?;
                Ok(if refused_login {
                    Step::RefusedLogin
                } else {
                    Step::Handled
                })
            })
            .await?;
        match step {
            Step::Handled => handled += 1,
            Step::Empty => break,
            Step::RefusedLogin => {
                handled += 1;
                break;
            }
        }
    }
    Ok(handled)
}

/// How one row's transaction ended.
enum Step {
    /// Sent, or recorded as failed.
    Handled,
    /// Nothing due.
    Empty,
    /// The server refused our login: the next rows would meet the same refusal.
    RefusedLogin,
}

/// Builds and sends one row; the error is what the row records.
async fn send_one(sender: &Sender, row: &Claimed) -> Result<(), (Failure, String)> {
    let message = build(&sender.from, row).map_err(|e| (Failure::Permanent, e))?;
    match sender.transport.send(message).await {
        Ok(_) => Ok(()),
        Err(error) => {
            let code = error
                .status()
                .and_then(|code| code.to_string().parse::<u16>().ok());
            Err((classify(code, error.is_permanent()), describe(&error)))
        }
    }
}

/// The error with its causes (lettre's `Display` omits the server's text).
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The message of a row: multipart/alternative when it has HTML, a fresh Message-ID, the extra
/// headers. A bad recipient or header is an error (permanent: retrying cannot fix it).
fn build(from: &Mailbox, row: &Claimed) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("invalid recipient: {e}"))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(None)
        .date_now();
    for (name, value) in [
        ("List-Unsubscribe", &row.list_unsubscribe),
        ("List-Unsubscribe-Post", &row.list_unsubscribe_post),
    ] {
        if let Some(value) = value {
            let name = HeaderName::new_from_ascii(name.to_owned())
                .map_err(|e| format!("invalid header name: {e}"))?;
            builder = builder.raw_header(HeaderValue::new(name, value.clone()));
        }
    }
    let message = match &row.html_body {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            row.text_body.clone(),
            html.clone(),
        )),
        None => builder.body(row.text_body.clone()),
    };
    message.map_err(|e| format!("the message cannot be built: {e}"))
}

/// Marks the row sent, to retry, or failed.
async fn record(
    conn: &mut AsyncPgConnection,
    sender: &Sender,
    row: &Claimed,
    outcome: Result<(), (Failure, String)>,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let (failure, error) = match outcome {
        Ok(()) => {
            tracing::info!(mail_id = row.id, purpose = %row.purpose, "mail sent");
            return queries::mark_sent(conn, row.id, now).await;
        }
        Err(failed) => failed,
    };
    let counted = failure != Failure::Login;
    let attempts = u32::try_from(row.attempts)
        .unwrap_or(0)
        .saturating_add(u32::from(counted));
    match after_failure(failure, attempts, sender.max_attempts) {
        Next::RetryIn(wait) => {
            if counted {
                tracing::warn!(mail_id = row.id, attempts, %error, "mail not sent; will retry");
            } else {
                tracing::error!(mail_id = row.id, %error, "SMTP login refused; fix the credentials in smtp_url");
            }
            let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
            let at = now
                .checked_add_signed(wait)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            queries::mark_retry(conn, row.id, &error, at, counted).await
        }
        Next::GiveUp => {
            tracing::error!(mail_id = row.id, attempts, %error, "mail failed for good");
            queries::mark_failed(conn, row.id, &error, now).await
        }
    }
}
