//! Registration, login, refresh and logout: the rules and transactions behind `/auth/*`.

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::accounts::domain::{username_ban_key, Email, NewPassword, Username};
use crate::accounts::error::AccountError;
use crate::accounts::model::{AuthResponse, LoginRequest, NewUser, RegisterRequest};
use crate::accounts::queries;
use crate::accounts::sessions::{check_password_limited, issue_tokens, AttemptAccount};
use crate::auth::extract::Ban;
use crate::auth::tokens::hash_refresh_token;
use crate::auth::Role;
use crate::config::Secret;
use crate::error::{violated_constraint, FieldErrors};
use crate::startup::AppState;

/// What a unique violation on insert means: another registration took the name or address
/// between the check and the insert.
fn unique_violation(error: diesel::result::Error) -> AccountError {
    match violated_constraint(&error) {
        Some("users_username_key") => AccountError::UsernameTaken,
        Some("users_email_key") => AccountError::EmailTaken,
        _ => AccountError::at("inserting the account")(error),
    }
}

/// Registers a reader and logs them in. Every field is checked before anything else (one 422
/// names them all); a ban kept from a deleted account with the same name or address refuses
/// the registration; the password is hashed without holding a pooled connection.
#[tracing::instrument(skip_all)]
pub async fn register(
    state: &AppState,
    body: &RegisterRequest,
    now: DateTime<Utc>,
) -> Result<AuthResponse, AccountError> {
    let mut errors = FieldErrors::new();
    let username = errors.check(Username::parse(&body.username, "username"));
    let email = errors.check(Email::parse(&body.email, "email"));
    let password = errors.check(NewPassword::parse(
        &body.password,
        "password",
        &body.username,
        &body.email,
    ));
    errors.finish().map_err(AccountError::from_validation)?;
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(AccountError::internal(anyhow::anyhow!(
            "parsed fields missing"
        )));
    };
    {
        let mut conn = state.pool.get().await?;
        let username_key = username_ban_key(username.as_str());
        if let Some(ban) = queries::retained_ban(&mut conn, &username_key, &email.ban_key(), now)
            .await
            .map_err(AccountError::at("looking for a retained ban"))?
        {
            return Err(AccountError::Banned(Ban {
                reason: ban.ban_reason,
                until: ban.banned_until,
            }));
        }
        let taken = queries::taken(&mut conn, username.as_str(), email.as_str())
            .await
            .map_err(AccountError::at("checking whether the names are taken"))?;
        if taken.username || taken.email {
            return Err(AccountError::Taken {
                username: taken.username,
                email: taken.email,
            });
        }
    }
    let password_hash = state
        .passwords
        .hash(password.secret())
        .await
        .map_err(AccountError::Component)?;
    let mut conn = state.pool.get().await?;
    let response = conn
        .transaction(async |conn| {
            let user = queries::insert_user(
                conn,
                NewUser {
                    username: username.as_str(),
                    email: email.as_str(),
                    password_hash: &password_hash,
                    role: Role::Reader.as_str(),
                    created_at: now,
                },
            )
            .await
            .map_err(unique_violation)?;
            super::verification::send_link(
                conn,
                &state.settings.mail,
                UserId(user.id),
                &user.username,
                email.as_str(),
                now,
            )
            .await?;
            issue_tokens(conn, state, user, None, now).await
        })
        .await?;
    tracing::info!(user_id = response.user.id, "registered");
    Ok(response)
}

/// Logs in by username or email. Unknown account and wrong password give the same
/// `InvalidCredentials`, after the same amount of hashing work, and both draw on the
/// failed-attempt budgets of [`check_password_limited`].
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    ip: &str,
    body: LoginRequest,
) -> Result<AuthResponse, AccountError> {
    if body.login.contains('\0') {
        return Err(AccountError::NulInLogin);
    }
    let user = {
        let mut conn = state.pool.get().await?;
        queries::find_for_login(&mut conn, &body.login)
            .await
            .map_err(AccountError::at("finding the account"))?
    };
    let now = state.clock.now();
    let account = match &user {
        Some(user) => AttemptAccount::Known(UserId(user.id)),
        None => AttemptAccount::Unknown(body.login.trim().to_lowercase()),
    };
    let vouched = match (&user, body.device_token.as_deref()) {
        (Some(user), Some(device)) => state.tokens.device_vouches_for(device, user.id, now),
        _ => false,
    };
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password = Secret::new(body.password);
    let verified =
        check_password_limited(state, &account, ip, vouched, &password, stored_hash).await?;
    let Some(user) = user.filter(|_| verified) else {
        state.metrics.count(crate::metrics::Event::LoginFailed);
        return Err(AccountError::InvalidCredentials);
    };
    state.metrics.count(crate::metrics::Event::LoginOk);
    let mut conn = state.pool.get().await?;
    issue_tokens(&mut conn, state, user, None, now).await
}

/// What a refresh transaction decided; a refusal still commits (a reused token's family stays
/// revoked).
enum RefreshOutcome {
    Issued(Box<AuthResponse>),
    Refused,
}

/// Exchanges a refresh token for a new pair and retires it. A retired token presented again
/// is treated as theft: the whole family is revoked and the answer is a refusal.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<AuthResponse, AccountError> {
    let hash = hash_refresh_token(refresh_token);
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .transaction(async |conn| {
            let Some(token) = queries::lock_refresh_token(conn, &hash)
                .await
                .map_err(AccountError::at("locking the refresh token"))?
            else {
                return Ok::<_, AccountError>(RefreshOutcome::Refused);
            };
            if token.revoked_at.is_some() || token.expires_at <= now {
                return Ok(RefreshOutcome::Refused);
            }
            if token.used_at.is_some() {
                queries::revoke_family(conn, &token.family_id, now)
                    .await
                    .map_err(AccountError::at("revoking a reused token's family"))?;
                tracing::warn!(
                    user_id = token.user_id,
                    "refresh token reused: family revoked"
                );
                return Ok(RefreshOutcome::Refused);
            }
            queries::mark_used(conn, token.id, now)
                .await
                .map_err(AccountError::at("retiring the refresh token"))?;
            let user = queries::find_by_id(conn, UserId(token.user_id))
                .await
                .map_err(AccountError::at("finding the token's user"))?;
            if user.deleted_at.is_some() {
                return Ok(RefreshOutcome::Refused);
            }
            let pair = issue_tokens(conn, state, user, Some(token.family_id), now).await?;
            Ok(RefreshOutcome::Issued(Box::new(pair)))
        })
        .await?;
    match outcome {
        RefreshOutcome::Issued(pair) => Ok(*pair),
        RefreshOutcome::Refused => Err(AccountError::RefreshRefused),
    }
}

/// Revokes the family of a refresh token; an unknown token is no error, so logging out is
/// safe to repeat.
#[tracing::instrument(skip_all)]
pub async fn logout(
    state: &AppState,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let hash = hash_refresh_token(refresh_token);
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        if let Some(token) = queries::lock_refresh_token(conn, &hash)
            .await
            .map_err(AccountError::at("locking the refresh token"))?
        {
            queries::revoke_family(conn, &token.family_id, now)
                .await
                .map_err(AccountError::at("revoking the token's family"))?;
        }
        Ok::<_, AccountError>(())
    })
    .await
}
