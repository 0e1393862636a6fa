//! The own account behind `/me`: reading it, changing its profile and password, deleting it.

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::accounts::domain::{email_ban_key, username_ban_key, DisplayName, Email, NewPassword};
use crate::accounts::error::AccountError;
use crate::accounts::model::{
    Account, ChangePasswordRequest, DeleteAccountRequest, OwnAccount, UpdateMeRequest,
};
use crate::accounts::queries::{self, BanKeys, ProfileChanges};
use crate::accounts::service::verification::{notify_old_address, send_link};
use crate::accounts::sessions::{check_password_limited, AttemptAccount};
use crate::auth::extract::active_ban;
use crate::config::Secret;
use crate::db::DbPool;
use crate::error::violated_constraint;
use crate::error::FieldErrors;
use crate::startup::AppState;
use crate::text::optional_text;

/// The caller's account as they see it at `now`, with their unread notification count.
#[tracing::instrument(skip_all, fields(user_id = user_id.get()))]
pub async fn me(
    pool: &DbPool,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<OwnAccount, AccountError> {
    let mut conn = pool.get().await?;
    let row = queries::find_by_id(&mut conn, user_id)
        .await
        .map_err(AccountError::at("finding the account"))?;
    let unread_notifications = crate::notifications::queries::unread_count(&mut conn, user_id)
        .await
        .map_err(AccountError::at("counting unread notifications"))?;
    Ok(OwnAccount {
        email_verified: row.email_verified_at.is_some(),
        account: Account::at(row, now),
        unread_notifications,
    })
}

/// Changes display name and bio: absent fields stay, `null` or empty clears. A display name
/// that folds to another user's username is refused, so nobody can pass for someone else.
#[tracing::instrument(skip_all, fields(user_id = user_id.get()))]
pub async fn update_profile(
    pool: &DbPool,
    mail: &crate::mail::MailSettings,
    user_id: UserId,
    body: UpdateMeRequest,
    now: DateTime<Utc>,
) -> Result<Account, AccountError> {
    if body.display_name.is_none() && body.bio.is_none() && body.email.is_none() {
        return Err(AccountError::NothingToChange);
    }
    let mut errors = FieldErrors::new();
    let display_name = body.display_name.map(|v| {
        errors
            .check(DisplayName::parse(
                v.as_deref().unwrap_or(""),
                "display_name",
            ))
            .flatten()
    });
    let bio = body
        .bio
        .map(|v| errors.check(optional_text(v, "bio", 1_000)));
    let email = body
        .email
        .as_deref()
        .and_then(|v| errors.check(Email::parse(v, "email")));
    errors.finish().map_err(AccountError::from_validation)?;
    let mut conn = pool.get().await?;
    if let Some(Some(name)) = &display_name {
        if queries::username_folds_to(&mut conn, &name.folded(), user_id)
            .await
            .map_err(AccountError::at(
                "comparing the display name with usernames",
            ))?
        {
            return Err(AccountError::DisplayNameTaken);
        }
    }
    let changes = ProfileChanges {
        display_name: display_name.map(|name| name.map(DisplayName::into_inner)),
        bio: bio.map(Option::flatten),
    };
    let row = conn
        .transaction(async |conn| {
            if changes.display_name.is_some() || changes.bio.is_some() {
                queries::update_profile(conn, user_id, changes)
                    .await
                    .map_err(AccountError::at("updating the profile"))?;
                // Names show on every page the user wrote on: people's version moves with them.
                crate::db::versions::bump(conn, &[], &[user_id.get()], true)
                    .await
                    .map_err(AccountError::at("bumping the profile's version"))?;
            }
            let account = queries::find_by_id(conn, user_id)
                .await
                .map_err(AccountError::at("finding the account"))?;
            let Some(email) = email else {
                return Ok(account);
            };
            let old = account.email.clone().unwrap_or_default();
            if old.eq_ignore_ascii_case(email.as_str()) {
                return Ok(account);
            }
            // A ban kept from a deleted account follows its address here as at registration.
            let own_name = username_ban_key(&account.username);
            if let Some(ban) = queries::retained_ban(conn, &own_name, &email.ban_key(), now)
                .await
                .map_err(AccountError::at("looking for a retained ban"))?
            {
                return Err(AccountError::Banned(crate::auth::extract::Ban {
                    reason: ban.ban_reason,
                    until: ban.banned_until,
                }));
            }
            queries::set_email(conn, user_id, email.as_str())
                .await
                .map_err(|e| match violated_constraint(&e) {
                    Some("users_email_key") => AccountError::EmailTaken,
                    _ => AccountError::at("changing the address")(e),
                })?;
            send_link(conn, mail, user_id, &account.username, email.as_str(), now).await?;
            if !old.is_empty() {
                notify_old_address(conn, mail, &account.username, &old, now).await?;
            }
            queries::find_by_id(conn, user_id)
                .await
                .map_err(AccountError::at("finding the account"))
        })
        .await?;
    Ok(Account::at(row, now))
}

/// Changes the password after checking the current one (under the failed-attempt limits):
/// every refresh token and every outstanding access token of the account stops working.
#[tracing::instrument(skip_all, fields(user_id = user_id.get()))]
pub async fn change_password(
    state: &AppState,
    ip: &str,
    user_id: UserId,
    body: ChangePasswordRequest,
) -> Result<(), AccountError> {
    let account = {
        let mut conn = state.pool.get().await?;
        queries::find_by_id(&mut conn, user_id)
            .await
            .map_err(AccountError::at("finding the account"))?
    };
    let email = account.email.clone().unwrap_or_default();
    let new_password = NewPassword::parse(
        &body.new_password,
        "new_password",
        &account.username,
        &email,
    )
    .map_err(|e| AccountError::Invalid(vec![e]))?;
    let current = Secret::new(body.current_password);
    let account_key = AttemptAccount::Known(user_id);
    if !check_password_limited(
        state,
        &account_key,
        ip,
        false,
        &current,
        account.password_hash,
    )
    .await?
    {
        return Err(AccountError::WrongPassword);
    }
    let hash = state
        .passwords
        .hash(new_password.secret())
        .await
        .map_err(AccountError::Component)?;
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        queries::set_password(conn, user_id, &hash, now)
            .await
            .map_err(AccountError::at("storing the new password"))
    })
    .await
}

/// Deletes the account after checking its password: it is anonymised (`deleted-<id>`, no
/// email, no login) and its content stays under that name. A ban in force outlives it, kept
/// by the keys of its username and address so a new account under them is refused.
#[tracing::instrument(skip_all, fields(user_id = user_id.get()))]
pub async fn delete_account(
    state: &AppState,
    ip: &str,
    user_id: UserId,
    body: DeleteAccountRequest,
) -> Result<(), AccountError> {
    let account = {
        let mut conn = state.pool.get().await?;
        queries::find_by_id(&mut conn, user_id)
            .await
            .map_err(AccountError::at("finding the account"))?
    };
    let stored_hash = account.password_hash.clone();
    let password = Secret::new(body.password);
    let account_key = AttemptAccount::Known(user_id);
    if !check_password_limited(state, &account_key, ip, false, &password, stored_hash).await? {
        return Err(AccountError::WrongPassword);
    }
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let banned = active_ban(
        account.banned_at,
        account.banned_until,
        account.ban_reason.clone(),
        now,
    )
    .is_some();
    conn.transaction(async |conn| {
        if banned {
            let keys = BanKeys {
                username: username_ban_key(&account.username),
                email: account.email.as_deref().map(email_ban_key),
            };
            queries::retain_ban(conn, &account, keys, now)
                .await
                .map_err(AccountError::at("keeping the ban"))?;
        }
        queries::anonymise(conn, user_id, now)
            .await
            .map_err(AccountError::at("anonymising the account"))?;
        // The name vanishes from every page the account wrote on.
        crate::db::versions::bump(conn, &[], &[user_id.get()], true)
            .await
            .map_err(AccountError::at("bumping the profile's version"))
    })
    .await?;
    tracing::info!(user_id = user_id.get(), "account deleted");
    Ok(())
}
