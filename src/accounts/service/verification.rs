//! Email verification: the link mailed in the transaction that sets an address, and using it.

use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::accounts::error::AccountError;
use crate::accounts::queries;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::error::FieldError;
use crate::ids::UserId;
use crate::mail::{templates, MailSettings};
use crate::startup::AppState;

/// How long a mailed verification link works.
pub const VERIFICATION_TTL: Duration = Duration::hours(48);

/// Stores a new verification token for `email` and enqueues the mail with its link, on the
/// caller's connection (inside the transaction that set the address, so both exist exactly
/// when it commits). Without `smtp_url` nothing is stored or enqueued: the outbox would never
/// drain, and the link could never arrive.
pub async fn send_link(
    conn: &mut AsyncPgConnection,
    mail: &MailSettings,
    user_id: UserId,
    username: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    if mail.smtp_url.is_none() {
        return Ok(());
    }
    let (token, hash) = new_refresh_token();
    queries::insert_verification(conn, user_id, email, &hash, now, now + VERIFICATION_TTL)
        .await
        .map_err(AccountError::at("storing the verification token"))?;
    let link = format!("{}/verify-email?token={token}", mail.public_url);
    let context = serde_json::json!({ "username": username, "email": email, "link": link });
    let outgoing = templates::render("verify_email", context)
        .map_err(|e| AccountError::internal(e.into()))?
        .to("verify_email", email);
    crate::mail::queries::enqueue(conn, &outgoing, now)
        .await
        .map_err(AccountError::at("enqueueing the verification mail"))?;
    Ok(())
}

/// Tells the old address that the account's address changed (no token: nothing to follow).
pub async fn notify_old_address(
    conn: &mut AsyncPgConnection,
    mail: &MailSettings,
    username: &str,
    old: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    if mail.smtp_url.is_none() {
        return Ok(());
    }
    let context = serde_json::json!({ "username": username, "old": old });
    let outgoing = templates::render("email_changed", context)
        .map_err(|e| AccountError::internal(e.into()))?
        .to("email_changed", old);
    crate::mail::queries::enqueue(conn, &outgoing, now)
        .await
        .map_err(AccountError::at("enqueueing the address-change notice"))?;
    Ok(())
}

/// Mails a new link to the account's address, unless it is verified already (then nothing
/// happens: the caller wanted a verified address and has one). Earlier links keep working
/// until they expire.
#[tracing::instrument(skip_all, fields(user_id = user_id.get()))]
pub async fn resend(state: &AppState, user_id: UserId) -> Result<(), AccountError> {
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let account = queries::find_by_id(conn, user_id)
            .await
            .map_err(AccountError::at("finding the account"))?;
        match (&account.email, account.email_verified_at) {
            (Some(email), None) => {
                send_link(
                    conn,
                    &state.settings.mail,
                    user_id,
                    &account.username,
                    email,
                    now,
                )
                .await
            }
            _ => Ok(()),
        }
    })
    .await
}

/// Uses a mailed token: its account is verified if the token is unused, unexpired and for the
/// account's current address. Any other token is a 422 naming `token`.
#[tracing::instrument(skip_all)]
pub async fn verify(state: &AppState, token: &str) -> Result<(), AccountError> {
    let now = state.clock.now();
    let hash = hash_refresh_token(token);
    let mut conn = state.pool.get().await?;
    let verified = conn
        .transaction(async |conn| {
            queries::use_verification(conn, &hash, now)
                .await
                .map_err(AccountError::at("using the verification token"))
        })
        .await?;
    match verified {
        Some(user_id) => {
            tracing::info!(user_id, "email verified");
            Ok(())
        }
        None => Err(AccountError::Invalid(vec![FieldError::new(
            "token",
            "invalid_value",
            "the link is unknown, used, expired or for an address the account no longer has",
        )])),
    }
}
