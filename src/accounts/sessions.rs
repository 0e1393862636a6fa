//! Sessions and password checks shared by the account handlers: issuing a token triple
//! (access, refresh, device), and verifying a password under the failed-attempt limits.

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::accounts::error::AccountError;
use crate::accounts::model::{Account, AuthResponse, UserRow};
use crate::accounts::queries;
use crate::auth::tokens::{new_family_id, new_refresh_token};
use crate::config::Secret;
use crate::startup::AppState;

/// Issues an access token and a refresh token (a new family unless `family` continues one).
#[tracing::instrument(skip_all, fields(user_id = user.id, continued = family.is_some()))]
pub async fn issue_tokens(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user: UserRow,
    family: Option<String>,
    now: DateTime<Utc>,
) -> Result<AuthResponse, AccountError> {
    let access_token = state
        .tokens
        .issue_access(user.id, user.token_version, now)
        .map_err(AccountError::Component)?;
    let (refresh_token, hash) = new_refresh_token();
    let family = family.unwrap_or_else(new_family_id);
    let ttl = chrono::Duration::from_std(state.settings.refresh_token_ttl)
        .map_err(|e| AccountError::internal(e.into()))?;
    queries::insert_refresh_token(conn, UserId(user.id), &family, &hash, now, now + ttl)
        .await
        .map_err(AccountError::at("storing the refresh token"))?;
    let device_token = state
        .tokens
        .issue_device(user.id, now)
        .map_err(AccountError::Component)?;
    Ok(AuthResponse {
        device_token,
        user: Account::at(user, now),
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs(),
    })
}

/// Whose failed-attempt budget a password check draws on: the account the login resolved to
/// (so `alice` and `alice@example.com` share one), or, for a login naming no account, that
/// login as written.
pub enum AttemptAccount {
    /// An existing account, by id.
    Known(crate::ids::UserId),
    /// A login naming no account, as written (lower-cased).
    Unknown(String),
}

impl AttemptAccount {
    fn key(&self) -> String {
        match self {
            Self::Known(id) => format!("user:{id}"),
            Self::Unknown(name) => format!("login:{name}"),
        }
    }
}

/// Verifies a password under the failed-attempt limits shared by login, password change and
/// account deletion: per (account, IP) always, and per account unless a device token of that
/// account vouches for the caller (OWASP's device cookie: strangers filling the account's
/// bucket cannot lock its owner out). The tokens are taken before hashing, so concurrent
/// guesses cannot all pass a check made before any was charged, and given back when the
/// password is right.
#[tracing::instrument(skip_all, fields(device_vouched = device_vouched))]
pub async fn check_password_limited(
    state: &AppState,
    account: &AttemptAccount,
    ip: &str,
    device_vouched: bool,
    password: &Secret,
    stored_hash: Option<String>,
) -> Result<bool, AccountError> {
    let limits = state.limiter.limits();
    let account = account.key();
    let per_account_ip = format!("failed:{account}:{ip}");
    let per_account = format!("failed:{account}");
    let mut buckets = vec![(limits.failed_login_per_account_ip, per_account_ip.as_str())];
    if !device_vouched {
        buckets.push((limits.failed_login_per_account, per_account.as_str()));
    }
    state
        .limiter
        .reserve(&buckets)
        .map_err(AccountError::Component)?;
    let verified = state.passwords.verify(password, stored_hash).await;
    if !matches!(verified, Ok(false)) {
        state.limiter.refund(&buckets);
    }
    verified.map_err(AccountError::Component)
}
