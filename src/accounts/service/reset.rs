//! Password reset: a single-use token valid for an hour, stored hashed, mailed as a link
//! (`POST /auth/password-reset`) or printed by `hindsight reset-password`; confirming it sets
//! the password under the registration rules, ends every session and mails a notice.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::accounts::domain::NewPassword;
use crate::accounts::error::AccountError;
use crate::accounts::queries::{self, resets, resets::ResetAccount};
use crate::error::FieldError;
use crate::ids::UserId;
use crate::mail::{queries as mail, templates, OutgoingMail};
use crate::startup::AppState;

/// How long a reset link works.
pub const TOKEN_LIFETIME: Duration = Duration::hours(1);

/// A new token (32 random bytes, base64url) and the hash it is stored under.
fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    (token, hash)
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The link a token is used through.
pub fn link(public_url: &str, token: &str) -> String {
    format!("{public_url}/reset-password?token={token}")
}

fn invalid_token() -> AccountError {
    AccountError::Invalid(vec![FieldError::new(
        "token",
        "invalid_token",
        "this reset link is unknown, already used or expired; ask for a new one",
    )])
}

/// Issues a token for `account` (retiring its older unused ones); returns the token.
async fn issue(
    conn: &mut AsyncPgConnection,
    account: &ResetAccount,
    now: DateTime<Utc>,
) -> Result<String, AccountError> {
    let (token, hash) = new_token();
    resets::issue(
        conn,
        UserId::from(account.id),
        &hash,
        now,
        now + TOKEN_LIFETIME,
    )
    .await
    .map_err(AccountError::at("storing the reset token"))?;
    Ok(token)
}

/// The reset mail with its one-time link, worded by `templates/password_reset.*`.
fn reset_mail(
    public_url: &str,
    recipient: &str,
    username: &str,
    token: &str,
) -> Result<OutgoingMail, AccountError> {
    let context = serde_json::json!({ "username": username, "link": link(public_url, token) });
    Ok(templates::render("password_reset", context)
        .map_err(|e| AccountError::internal(e.into()))?
        .to("password_reset", recipient))
}

/// `POST /auth/password-reset`: mails a link to the live account with this address, if there
/// is one. Both paths run the same lookup in one transaction and generate a token; only the
/// found path writes two rows (no password hashing on either), so timing says nothing useful.
/// Returns whether mail is on; without `smtp_url` nothing is issued or queued.
pub async fn request(state: &AppState, email: &str) -> Result<bool, AccountError> {
    let settings = &state.settings.mail;
    if settings.smtp_url.is_none() {
        return Ok(false);
    }
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let account = resets::find_by_email(conn, email)
            .await
            .map_err(AccountError::at("finding the account by address"))?;
        match account {
            Some(account) => {
                let token = issue(conn, &account, now).await?;
                let recipient = account.email.clone().unwrap_or_default();
                let mail = reset_mail(&settings.public_url, &recipient, &account.username, &token)?;
                mail::enqueue(conn, &mail, now)
                    .await
                    .map_err(AccountError::at("queueing the reset mail"))?;
                tracing::info!(user_id = account.id, "password reset mailed");
            }
            None => {
                let _ = new_token();
                tracing::info!("password reset for an unknown address");
            }
        }
        Ok::<_, AccountError>(())
    })
    .await?;
    Ok(true)
}

/// `POST /auth/password-reset/confirm`: sets the password if the token is unused and
/// unexpired and the password passes the registration rules; in one transaction the token is
/// used up, the password stored, every refresh family revoked and access token invalidated
/// (`token_version`), and a notice mailed to the account's address.
pub async fn confirm(
    state: &AppState,
    token: &str,
    new_password: &str,
) -> Result<(), AccountError> {
    let hash = hash(token);
    let account = {
        let mut conn = state.pool.get().await?;
        resets::peek(&mut conn, &hash, state.clock.now())
            .await
            .map_err(AccountError::at("finding the reset token"))?
            .ok_or_else(invalid_token)?
    };
    let email = account.email.clone().unwrap_or_default();
    let password = NewPassword::parse(new_password, "new_password", &account.username, &email)
        .map_err(|e| AccountError::Invalid(vec![e]))?;
    let password_hash = state
        .passwords
        .hash(password.secret())
        .await
        .map_err(AccountError::Component)?;
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let user_id = resets::take(conn, &hash, now)
            .await
            .map_err(AccountError::at("using the reset token"))?
            .ok_or_else(invalid_token)?;
        queries::set_password(conn, user_id, &password_hash, now)
            .await
            .map_err(AccountError::at("storing the new password"))?;
        if !email.is_empty() {
            let notice = changed_notice(&email, &account.username)?;
            mail::enqueue(conn, &notice, now)
                .await
                .map_err(AccountError::at("queueing the password notice"))?;
        }
        Ok::<_, AccountError>(())
    })
    .await?;
    tracing::info!(user_id = account.id, "password reset");
    Ok(())
}

/// The notice that the password was changed through a reset link.
fn changed_notice(recipient: &str, username: &str) -> Result<OutgoingMail, AccountError> {
    let context = serde_json::json!({ "username": username });
    Ok(templates::render("password_changed", context)
        .map_err(|e| AccountError::internal(e.into()))?
        .to("password_changed", recipient))
}

/// `hindsight reset-password USERNAME`: issues a token for the live account (any case) and
/// returns the one-time link; `Ok(None)` when there is no such account. Works with or without
/// SMTP (nothing is mailed).
pub async fn link_for_username(
    conn: &mut AsyncPgConnection,
    public_url: &str,
    username: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, AccountError> {
    conn.transaction(async |conn| {
        let Some(account) = resets::find_by_username(conn, username)
            .await
            .map_err(AccountError::at("finding the user"))?
        else {
            return Ok(None);
        };
        let token = issue(conn, &account, now).await?;
        Ok(Some(link(public_url, &token)))
    })
    .await
}
