//! Bans that outlive their account: kept at deletion under the keys of the username and the
//! address, looked up at registration, forgotten when the ban is lifted.

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::accounts::model::UserRow;
use crate::db::schema::retained_bans;

/// What registration needs of a retained ban: the reason and end its problem names.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = retained_bans)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RetainedBanRow {
    /// Why the account was banned.
    pub ban_reason: Option<String>,
    /// When the ban lapses (None: permanent).
    pub banned_until: Option<DateTime<Utc>>,
}

/// The keys a ban is kept under once its account is deleted (see `accounts::domain`).
#[derive(Debug, Clone)]
pub struct BanKeys {
    /// [`username_ban_key`](crate::accounts::domain::username_ban_key) of the username.
    pub username: String,
    /// [`Email::ban_key`](crate::accounts::domain::Email::ban_key) of the address, if any.
    pub email: Option<String>,
}

/// The ban retained from a deleted account matching either key and still in force at `now`:
/// its reason and end.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn retained_ban(
    conn: &mut AsyncPgConnection,
    username_key: &str,
    email_key: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<RetainedBanRow>> {
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
        .select(RetainedBanRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Keeps the ban of an account being deleted (see the `retained_bans` migration).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.id))]
pub async fn retain_ban(
    conn: &mut AsyncPgConnection,
    user: &UserRow,
    keys: BanKeys,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(retained_bans::table)
        .values((
            retained_bans::user_id.eq(user.id),
            retained_bans::username_key.eq(keys.username),
            retained_bans::email_key.eq(keys.email),
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
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn forget_retained_ban(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<()> {
    diesel::delete(retained_bans::table.filter(retained_bans::user_id.eq(user_id)))
        .execute(conn)
        .await
        .map(|_| ())
}
