//! Notification mail: each kind of notification is mailed off, at once, or in a daily digest,
//! as each reader chooses (`email` in `/me/notification-settings`; defaults in `domain.rs`).
//!
//! A notification written to a reader with a verified address is marked `mail_pending` (by
//! `record.sql`, in its cause's transaction). This job, started only when SMTP is configured,
//! runs every `mail_poll_ms` on one instance at a time (`job_runs` claim) and, in one
//! transaction: reads the due pending notifications (`pending.sql`), renders each immediate one
//! as a mail and each due reader's digest as one mail (`compose.rs`, templates in
//! `src/mail/templates/`), writes them to the outbox, and clears the marks. So a notification is
//! mailed once or not at all, and the outbox worker sends what was written with retries.
//!
//! The text is read when the mail is composed, as the list reads it: a reply or mention whose
//! comment is no longer visible (or whose article was deleted) is not mailed. Mail is a copy of
//! the in-app notification: a kind switched off in the app writes no notification and so no
//! mail. Every mail carries a one-click unsubscribe link (RFC 8058 `List-Unsubscribe` and
//! `List-Unsubscribe-Post`; `routes/unsubscribe.rs`) that works without logging in.

pub mod compose;
pub mod domain;

use std::collections::HashMap;
use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use self::domain::{cutoffs, plan, EmailMode, Pending};
use crate::db::cached;
use crate::events::jobs::claim;
use crate::ids::UserId;
use crate::notifications::jobs::{claim_span, spawn_ticking};
use crate::startup::AppState;

/// Most single (or dropped) pending notifications one run handles (the rest wait for the next
/// run).
const BATCH: i64 = 500;

/// Most digests one run composes (each takes all of its reader's waiting notifications).
const DIGESTS: i64 = 50;

/// A pending notification with its reader's address, as `pending.sql` returns it.
#[derive(Debug, QueryableByName)]
struct PendingRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: UserId,
    #[diesel(sql_type = Text)]
    mode: String,
    #[diesel(sql_type = Bool)]
    wanted: bool,
}

/// A reader a mail goes to.
#[derive(Debug, Clone, QueryableByName)]
pub struct Reader {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: UserId,
    /// Username, for the greeting.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// The verified address.
    #[diesel(sql_type = Text)]
    pub email: String,
}

/// Starts the job when SMTP is configured (without it nothing would ever be sent, and the
/// retention job clears the marks after two days).
pub fn spawn(state: &web::Data<AppState>) -> Option<tokio::task::JoinHandle<()>> {
    state.settings.mail.smtp_url.as_ref()?;
    if state.settings.mail.public_url.starts_with("http://") {
        tracing::warn!(
            public_url = %state.settings.mail.public_url,
            "public_url is not https: mail clients may refuse one-click unsubscribe (RFC 8058)"
        );
    }
    let every = state.settings.mail.poll;
    let state = state.clone();
    spawn_ticking(every, move || {
        let state = state.clone();
        async move {
            let Ok(mut conn) = state.pool.get().await else {
                return;
            };
            match run(&mut conn, &state, claim_span(every)).await {
                Ok(0) => {}
                Ok(mails) => tracing::debug!(mails, "notification mail"),
                Err(error) => tracing::warn!(%error, "notification mail failed"),
            }
        }
    })
}

/// One run: the due pending notifications become mails in the outbox and stop being pending,
/// in one transaction with the claim. Returns how many mails were written (0 also when another
/// instance holds the claim).
pub async fn run(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    claim_for: Duration,
) -> anyhow::Result<usize> {
    let now = state.clock.now();
    conn.transaction(async |conn| {
        if !claim(conn, "notification_mail", claim_for).await? {
            return Ok(0);
        }
        let batch: Vec<Pending> = due(conn, now)
            .await?
            .into_iter()
            .map(|row| Pending {
                id: row.id,
                user_id: row.user_id,
                mode: EmailMode::parse(&row.mode).unwrap_or(EmailMode::Off),
                wanted: row.wanted,
            })
            .collect();
        if batch.is_empty() {
            return Ok(0);
        }
        let plan = plan(&batch);
        let mails = compose::mails(conn, state, &plan, now).await?;
        for mail in &mails {
            crate::mail::queries::enqueue(conn, mail, now).await?;
        }
        clear(conn, &plan.clear).await?;
        Ok(mails.len())
    })
    .await
}

/// The due pending notifications (`pending.sql`).
async fn due(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<Vec<PendingRow>> {
    let (stale, digest) = cutoffs(now);
    cached(
        diesel::sql_query(include_str!("pending.sql"))
            .bind::<Text, _>(EmailMode::defaults_json())
            .bind::<Timestamptz, _>(stale)
            .bind::<Timestamptz, _>(digest)
            .bind::<BigInt, _>(BATCH)
            .bind::<BigInt, _>(DIGESTS),
    )
    .load(conn)
    .await
}

/// The readers `ids` with their addresses (only verified, live ones).
pub async fn readers(
    conn: &mut AsyncPgConnection,
    ids: &[UserId],
) -> QueryResult<HashMap<UserId, Reader>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let rows: Vec<Reader> = cached(
        diesel::sql_query(
            "SELECT id, username, email FROM users WHERE id = ANY ($1) \
             AND email IS NOT NULL AND email_verified_at IS NOT NULL AND deleted_at IS NULL",
        )
        .bind::<Array<BigInt>, _>(ids),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// Clears the marks of `ids`.
async fn clear(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<usize> {
    cached(
        diesel::sql_query("UPDATE notifications SET mail_pending = false WHERE id = ANY ($1)")
            .bind::<Array<BigInt>, _>(ids),
    )
    .execute(conn)
    .await
}

/// Clears the marks of notifications created before `cutoff` (the retention job): what was
/// not mailed by then never will be.
pub async fn clear_stale(
    conn: &mut AsyncPgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    cached(
        diesel::sql_query(
            "UPDATE notifications SET mail_pending = false \
             WHERE mail_pending AND created_at < $1",
        )
        .bind::<Timestamptz, _>(cutoff),
    )
    .execute(conn)
    .await
}
