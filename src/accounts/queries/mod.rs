//! Account queries: each takes a connection and returns `QueryResult`; the service decides
//! what the outcome means for the client. Users here, refresh tokens in `tokens`, bans kept
//! from deleted accounts in `bans` (re-exported, so callers name `accounts::queries::*`).

mod bans;
pub mod resets;
mod tokens;
mod verification;

pub use bans::{forget_retained_ban, retain_ban, retained_ban, BanKeys, RetainedBanRow};
pub use tokens::{
    insert_refresh_token, lock_refresh_token, mark_used, revoke_all_for_user, revoke_family,
    RefreshTokenRow,
};
pub use verification::{insert_verification, mark_verified, set_email, use_verification};

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::accounts::model::{NewUser, UserRow};
use crate::auth::Role;
use crate::db::schema::users;

diesel::define_sql_function! {
    /// SQL `lower(text)`, matching the case-insensitive unique indexes.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `lower(text)` on a nullable column.
    #[sql_name = "lower"]
    fn lower_nullable(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Which of a registration's names are already in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakenNames {
    /// The username is in use (any case).
    pub username: bool,
    /// The email address is in use (any case).
    pub email: bool,
}

/// Whether the username and the email are already in use (case-insensitive).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn taken(
    conn: &mut AsyncPgConnection,
    username: &str,
    email: &str,
) -> QueryResult<TakenNames> {
    let username_taken = diesel::select(diesel::dsl::exists(
        users::table.filter(lower(users::username).eq(username.to_lowercase())),
    ))
    .get_result::<bool>(conn)
    .await?;
    let email_taken = diesel::select(diesel::dsl::exists(
        users::table.filter(lower_nullable(users::email).eq(email.to_lowercase())),
    ))
    .get_result::<bool>(conn)
    .await?;
    Ok(TakenNames {
        username: username_taken,
        email: email_taken,
    })
}

/// Inserts an account.
#[tracing::instrument(level = "debug", skip_all, fields(username = user.username))]
pub async fn insert_user(conn: &mut AsyncPgConnection, user: NewUser<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// The live account whose username or email is `login`, ignoring case.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_for_login(
    conn: &mut AsyncPgConnection,
    login: &str,
) -> QueryResult<Option<UserRow>> {
    let needle = login.trim().to_lowercase();
    users::table
        .filter(users::deleted_at.is_null())
        .filter(
            lower(users::username)
                .eq(&needle)
                .or(lower_nullable(users::email).eq(&needle)),
        )
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// An account by id.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = id.get()))]
pub async fn find_by_id(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
}

/// An account by username, ignoring case.
#[tracing::instrument(level = "debug", skip_all, fields(username = %username))]
pub async fn find_by_username(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(lower(users::username).eq(username.to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Locks every live admin row, in id order; returns how many there are.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lock_live_admins(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::deleted_at.is_null())
        .order(users::id.asc())
        .select(users::id)
        .for_update()
        .load::<i64>(conn)
        .await
        .map(|ids| ids.len())
}

/// An account by username (any case), its row locked.
#[tracing::instrument(level = "debug", skip_all, fields(username = %username))]
pub async fn lock_by_username(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(lower(users::username).eq(username.to_lowercase()))
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Changes to a profile; `None` leaves a column alone, `Some(None)` clears it.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    /// New display name.
    pub display_name: Option<Option<String>>,
    /// New bio.
    pub bio: Option<Option<String>>,
}

/// Applies profile changes and returns the account.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = id.get()))]
pub async fn update_profile(
    conn: &mut AsyncPgConnection,
    id: UserId,
    changes: ProfileChanges,
) -> QueryResult<UserRow> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// Stores a new password hash, invalidates every access token (token version) and revokes
/// every refresh token of the user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = id.get()))]
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    id: UserId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::token_version.eq(users::token_version + 1),
        ))
        .execute(conn)
        .await?;
    revoke_all_for_user(conn, id, now).await
}

/// Whether another account's username folds to `folded` (a display name may not impersonate).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = except.get()))]
pub async fn username_folds_to(
    conn: &mut AsyncPgConnection,
    folded: &str,
    except: UserId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(lower(users::username).eq(folded))
            .filter(users::id.ne(except)),
    ))
    .get_result(conn)
    .await
}

/// Anonymises an account: `deleted-<id>`, no email, no hash, no profile, tokens dead.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = id.get()))]
pub async fn anonymise(
    conn: &mut AsyncPgConnection,
    id: UserId,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::username.eq(format!("deleted-{id}")),
            users::email.eq(None::<String>),
            users::password_hash.eq(None::<String>),
            users::display_name.eq(None::<String>),
            users::bio.eq(None::<String>),
            users::deleted_at.eq(now),
            users::token_version.eq(users::token_version + 1),
        ))
        .execute(conn)
        .await?;
    revoke_all_for_user(conn, id, now).await
}

/// Sets the role of the account named `username` (ignoring case); `None` if there is none.
#[tracing::instrument(level = "debug", skip_all, fields(username = %username, role = role))]
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    username: &str,
    role: &str,
) -> QueryResult<Option<UserRow>> {
    diesel::update(users::table.filter(lower(users::username).eq(username.to_lowercase())))
        .set(users::role.eq(role))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// True when the user exists and is not deleted.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn is_live(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .find(user_id)
            .filter(users::deleted_at.is_null()),
    ))
    .get_result(conn)
    .await
}

/// Creates an account that can never log in (no email, no password): the newsroom account
/// that imported articles are credited to.
#[tracing::instrument(level = "debug", skip_all, fields(username))]
pub async fn insert_without_login(
    conn: &mut AsyncPgConnection,
    username: &str,
    bio: &str,
    now: DateTime<Utc>,
) -> QueryResult<UserId> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::bio.eq(bio),
            users::created_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)
        .await
}
