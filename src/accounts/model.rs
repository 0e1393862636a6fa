//! Table rows and wire types of accounts, kept apart so the schema can change without
//! breaking clients.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::auth::role::{stored_role, Role};
use crate::db::schema::users;

/// A row of `users`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Username as registered (`deleted-<id>` once deleted).
    pub username: String,
    /// Email; NULL once deleted.
    pub email: Option<String>,
    /// PHC string; NULL once deleted.
    pub password_hash: Option<String>,
    /// Stored role.
    pub role: String,
    /// Optional display name.
    pub display_name: Option<String>,
    /// Optional bio.
    pub bio: Option<String>,
    /// Sum of the scores of the user's comments.
    pub karma: i64,
    /// Bumped to invalidate outstanding access tokens.
    pub token_version: i32,
    /// Set when the account was deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Set while a ban is in force.
    pub banned_at: Option<DateTime<Utc>>,
    /// When the ban lapses (None: permanent).
    pub banned_until: Option<DateTime<Utc>>,
    /// Why the user is banned.
    pub ban_reason: Option<String>,
    /// When the current address was verified (None: unverified).
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// A new account.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Username as registered.
    pub username: &'a str,
    /// Email as given.
    pub email: &'a str,
    /// PHC string.
    pub password_hash: &'a str,
    /// Always `reader` at registration.
    pub role: &'a str,
    /// Registration time (from the clock).
    pub created_at: DateTime<Utc>,
}

/// `POST /auth/register`. Any other field (such as `role`) is ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"username": "min_ji", "email": "min.ji@example.com", "password": "harbour-lantern-quietly-9"}))]
pub struct RegisterRequest {
    /// 3–32 characters of `[A-Za-z0-9_]`, unique without regard to case.
    pub username: String,
    /// A valid address, unique without regard to case.
    pub email: String,
    /// 10–128 characters, not the username or email, not a commonly used password.
    pub password: String,
}

/// `POST /auth/verify-email`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyEmailRequest {
    /// The `token` of the link mailed to the address.
    pub token: String,
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "min_ji", "password": "harbour-lantern-quietly-9"}))]
pub struct LoginRequest {
    /// Username or email, either without regard to case.
    pub login: String,
    /// The password.
    pub password: String,
    /// The `device_token` an earlier login of this account on this device received. With it,
    /// failed logins by others (which close the account's shared failed-login budget) do not
    /// lock the owner out; only this device's own per-(account, IP) budget applies.
    #[serde(default)]
    pub device_token: Option<String>,
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token received at login or at the last refresh.
    pub refresh_token: String,
}

/// The own account, as `/me` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    /// Id.
    pub id: i64,
    /// Username as registered.
    pub username: String,
    /// Email address (only ever shown to its owner).
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Display name, if set.
    pub display_name: Option<String>,
    /// Bio, if set.
    pub bio: Option<String>,
    /// Sum of the scores of the user's comments.
    pub karma: i64,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// While banned: when the ban lapses (null for a permanent ban, and when not banned).
    pub banned_until: Option<DateTime<Utc>>,
    /// While banned: why; null when not banned.
    pub ban_reason: Option<String>,
}

/// `GET /me`: the account, and how many of its notifications are unread (so a client shows
/// the badge without a second request).
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnAccount {
    /// The account.
    #[serde(flatten)]
    pub account: Account,
    /// Notifications not yet marked read.
    pub unread_notifications: i64,
    /// Whether the account's current address was confirmed through a mailed link.
    pub email_verified: bool,
}

impl Account {
    /// The account as its owner sees it at `now` (a lapsed ban is not shown).
    pub fn at(row: UserRow, now: DateTime<Utc>) -> Self {
        let ban = crate::auth::extract::active_ban(
            row.banned_at,
            row.banned_until,
            row.ban_reason.clone(),
            now,
        );
        let mut account = Self::from(row);
        account.banned_until = ban.as_ref().and_then(|b| b.until);
        account.ban_reason = ban.and_then(|b| b.reason);
        account
    }
}

impl From<UserRow> for Account {
    fn from(row: UserRow) -> Self {
        Self {
            banned_until: None,
            ban_reason: None,
            id: row.id,
            username: row.username,
            email: row.email,
            role: stored_role(&row.role),
            display_name: row.display_name,
            bio: row.bio,
            karma: row.karma,
            created_at: row.created_at,
        }
    }
}

/// What register, login and refresh answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    /// The account.
    pub user: Account,
    /// JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Single-use token for `POST /auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// Keep it per account on this device (a year; each answer carries a fresh one) and send
    /// it with the next login of that account: strangers' failed logins cannot then lock the
    /// owner out. It authenticates nothing by itself.
    pub device_token: String,
}

/// A public profile (never the email).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProfile {
    /// Id.
    pub id: i64,
    /// Username (`deleted-<id>` for a deleted account).
    pub username: String,
    /// Display name, if set.
    pub display_name: Option<String>,
    /// Bio, if set.
    pub bio: Option<String>,
    /// Role.
    pub role: Role,
    /// Sum of the scores of the user's comments.
    pub karma: i64,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for PublicProfile {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            bio: row.bio,
            role: stored_role(&row.role),
            karma: row.karma,
            created_at: row.created_at,
        }
    }
}

/// Distinguishes an absent field (`None`: unchanged) from `null` (`Some(None)`: cleared).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `PATCH /me`: absent fields stay, `null` or an empty string clears. At least one field.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMeRequest {
    /// At most 64 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    /// At most 1,000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub bio: Option<Option<String>>,
    /// A new address (absent: unchanged): it starts unverified, a link is mailed to it and a
    /// notice to the old one.
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /me/password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    /// The password in use.
    pub current_password: String,
    /// The new password (same rules as at registration).
    pub new_password: String,
}

/// `DELETE /me`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteAccountRequest {
    /// The password in use, to confirm.
    pub password: String,
}

/// `PUT /users/{username}/role`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// The new role.
    pub role: Role,
}

/// How a user appears beside their content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicUser {
    /// Id.
    pub id: i64,
    /// Username (`deleted-<id>` for a deleted account).
    pub username: String,
    /// Display name, if set.
    pub display_name: Option<String>,
}

impl From<&UserRow> for PublicUser {
    fn from(row: &UserRow) -> Self {
        Self {
            id: row.id,
            username: row.username.clone(),
            display_name: row.display_name.clone(),
        }
    }
}

/// `POST /auth/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "min.ji@example.com"}))]
pub struct PasswordResetRequest {
    /// The account's address (any case).
    pub email: String,
}

/// The answer to `POST /auth/password-reset`: the same whether or not the address belongs to
/// an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetAccepted {
    /// `false` when the service sends no mail (no SMTP configured): nothing was sent, and an
    /// admin must run `hindsight reset-password USERNAME` and pass the link on.
    pub mail_enabled: bool,
    /// What happens next, for people.
    pub detail: String,
}

/// `POST /auth/password-reset/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"token": "q1w2…", "new_password": "harbour-lantern-quietly-9"}))]
pub struct PasswordResetConfirm {
    /// The token from the reset link.
    pub token: String,
    /// The new password (the rules of registration).
    pub new_password: String,
}
