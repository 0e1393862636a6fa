//! Authentication's statements: the user lookup every authenticated request makes (it re-reads
//! the user's row, so role, ban, deletion and token version apply at once) and the signing key
//! kept in `server_secrets`. Kept here so neither the extractor nor the token code holds SQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{server_secrets, users};

/// What the extractor needs of a user to accept a token: is the account live, does the token
/// version match, which role and ban apply now.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct UserAuthRow {
    /// Id.
    pub id: crate::ids::UserId,
    /// Current username.
    pub username: String,
    /// Stored role (read with `stored_role`).
    pub role: String,
    /// Must equal the token's `ver` claim (a password change bumps it).
    pub token_version: i32,
    /// Set once the account is deleted: its tokens stop working.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set while a ban is in force.
    pub banned_at: Option<DateTime<Utc>>,
    /// When the ban lapses (None: permanent).
    pub banned_until: Option<DateTime<Utc>>,
    /// Why the user is banned.
    pub ban_reason: Option<String>,
    /// Registration time (young accounts have stricter limits).
    pub created_at: DateTime<Utc>,
    /// When the current address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// The user an access token names, if the row exists (deleted or not: the caller decides).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id))]
pub async fn find_for_auth(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Option<UserAuthRow>> {
    users::table
        .find(user_id)
        .select(UserAuthRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Stores a secret under `name` unless one is already there (the first instance to start wins).
#[tracing::instrument(level = "debug", skip_all, fields(name = name))]
pub async fn insert_secret_if_absent(
    conn: &mut AsyncPgConnection,
    name: &str,
    value: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(server_secrets::table)
        .values((
            server_secrets::name.eq(name),
            server_secrets::value.eq(value),
            server_secrets::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|_| ())
}

/// The secret stored under `name`.
#[tracing::instrument(level = "debug", skip_all, fields(name = name))]
pub async fn secret(conn: &mut AsyncPgConnection, name: &str) -> QueryResult<Vec<u8>> {
    server_secrets::table
        .find(name)
        .select(server_secrets::value)
        .first(conn)
        .await
}
