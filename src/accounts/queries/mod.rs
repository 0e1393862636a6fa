//! Account queries: each takes a connection and returns `QueryResult`; handlers decide what
//! the outcome means for the client.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::accounts::model::{NewUser, UserRow};
use crate::db::schema::{refresh_tokens, retained_bans, users};

diesel::define_sql_function! {
    /// SQL `lower(text)`, matching the case-insensitive unique indexes.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `lower(text)` on a nullable column.
    #[sql_name = "lower"]
    fn lower_nullable(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Whether the username and the email are already in use (case-insensitive).
pub async fn taken(
    conn: &mut AsyncPgConnection,
    username: &str,
    email: &str,
) -> QueryResult<(bool, bool)> {
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
    Ok((username_taken, email_taken))
}

/// Inserts an account.
pub async fn insert_user(conn: &mut AsyncPgConnection, user: NewUser<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// The live account whose username or email is `login`, ignoring case.
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
pub async fn find_by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
}

/// An account by username, ignoring case.
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
pub async fn lock_live_admins(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::deleted_at.is_null())
        .order(users::id.asc())
        .select(users::id)
        .for_update()
        .load::<i64>(conn)
        .await
        .map(|ids| ids.len())
}

/// An account by username (any case), its row locked.
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
pub async fn update_profile(
    conn: &mut AsyncPgConnection,
    id: i64,
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
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    id: i64,
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
pub async fn username_folds_to(
    conn: &mut AsyncPgConnection,
    folded: &str,
    except: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(lower(users::username).eq(folded))
            .filter(users::id.ne(except)),
    ))
    .get_result(conn)
    .await
}

/// The ban retained from a deleted account matching either key and still in force at `now`:
/// its reason and end.
pub async fn retained_ban(
    conn: &mut AsyncPgConnection,
    username_key: &str,
    email_key: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Option<String>, Option<DateTime<Utc>>)>> {
    retained_bans::table
        .filter(
            retained_bans::username_key
                .eq(username_key)
                .or(retained_bans::email_key.eq(email_key)),
        )
        .filter(
            retained_bans::banned_until
                .is_null()
                .or(retained_bans::banned_until.gt(now)),
        )
        .order(retained_bans::banned_until.desc().nulls_first())
        .select((retained_bans::ban_reason, retained_bans::banned_until))
        .first(conn)
        .await
        .optional()
}

/// Keeps the ban of an account being deleted (see the `retained_bans` migration).
pub async fn retain_ban(
    conn: &mut AsyncPgConnection,
    user: &UserRow,
    keys: (String, Option<String>),
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(retained_bans::table)
        .values((
            retained_bans::user_id.eq(user.id),
            retained_bans::username_key.eq(keys.0),
            retained_bans::email_key.eq(keys.1),
            retained_bans::banned_until.eq(user.banned_until),
            retained_bans::ban_reason.eq(&user.ban_reason),
            retained_bans::created_at.eq(now),
        ))
        .on_conflict(retained_bans::user_id)
        .do_nothing()
        .execute(conn)
        .await
        .map(|_| ())
}

/// Forgets a retained ban (the ban was lifted).
pub async fn forget_retained_ban(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<()> {
    diesel::delete(retained_bans::table.filter(retained_bans::user_id.eq(user_id)))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Anonymises an account: `deleted-<id>`, no email, no hash, no profile, tokens dead.
pub async fn anonymise(
    conn: &mut AsyncPgConnection,
    id: i64,
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

/// A stored refresh token.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RefreshTokenRow {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Login family.
    pub family_id: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged (single use).
    pub used_at: Option<DateTime<Utc>>,
    /// When its family was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a refresh token's hash.
pub async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    family_id: &str,
    token_hash: &[u8],
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The token with this hash, locked until the transaction ends (two refreshes with the same
/// token are serialised: the second sees it used).
pub async fn lock_refresh_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Marks a token as exchanged.
pub async fn mark_used(
    conn: &mut AsyncPgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Revokes every token of a login family.
pub async fn revoke_family(
    conn: &mut AsyncPgConnection,
    family_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await
    .map(|_| ())
}

/// Revokes every refresh token of a user.
pub async fn revoke_all_for_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await
    .map(|_| ())
}

/// True when the user exists and is not deleted.
pub async fn is_live(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .find(user_id)
            .filter(users::deleted_at.is_null()),
    ))
    .get_result(conn)
    .await
}
