//! Ban SQL: the advisory lock that orders a user's new comments against bans of that user,
//! reading the stored ban under it, and setting or clearing a ban.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::users;
use crate::ids::UserId;

/// The class of the advisory locks that order a user's new comments against bans of that
/// user (`ban` in ASCII).
pub const BAN_LOCK_CLASS: i32 = 0x0062_616e;

/// A user's stored ban columns, as a comment being written reads them under the ban lock.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct BanColumns {
    /// Since when (None: not banned).
    pub banned_at: Option<DateTime<Utc>>,
    /// Until when (None: permanent, or not banned).
    pub banned_until: Option<DateTime<Utc>>,
    /// Why, as shown to the user.
    pub ban_reason: Option<String>,
}

/// Holds, until the transaction ends, the shared side of the user's ban lock, then reads the
/// ban as committed at that moment. A new comment takes it first (before any row lock), so a
/// ban either commits before the comment's check (which then sees it) or waits for the comment
/// to commit (and its content removal then sees the comment). An advisory lock rather than the
/// user row, because votes lock comments before users and a row lock here would deadlock.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn hold_against_bans(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> QueryResult<BanColumns> {
    cached(
        diesel::sql_query(include_str!("ban_lock_shared.sql"))
            .bind::<Integer, _>(BAN_LOCK_CLASS)
            .bind::<BigInt, _>(user_id),
    )
    .execute(conn)
    .await?;
    users::table
        .find(user_id)
        .select(BanColumns::as_select())
        .first(conn)
        .await
}

/// Takes the exclusive side of the user's ban lock (see [`hold_against_bans`]); a ban takes it
/// before anything else, so comments being written commit first and none start meanwhile.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn lock_for_ban(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<()> {
    cached(
        diesel::sql_query(include_str!("ban_lock.sql"))
            .bind::<Integer, _>(BAN_LOCK_CLASS)
            .bind::<BigInt, _>(user_id),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// A ban to store.
#[derive(Debug, Clone, Copy)]
pub struct NewBan<'a> {
    /// Since when.
    pub at: DateTime<Utc>,
    /// Until when (None: permanent).
    pub until: Option<DateTime<Utc>>,
    /// Why.
    pub reason: &'a str,
}

/// Sets a ban (`Some`) or clears it (`None`).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get(), banned = ban.is_some()))]
pub async fn set_ban(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    ban: Option<NewBan<'_>>,
) -> QueryResult<()> {
    let columns = BanColumns {
        banned_at: ban.map(|b| b.at),
        banned_until: ban.and_then(|b| b.until),
        ban_reason: ban.map(|b| b.reason.to_owned()),
    };
    diesel::update(users::table.find(user_id))
        .set((
            users::banned_at.eq(columns.banned_at),
            users::banned_until.eq(columns.banned_until),
            users::ban_reason.eq(columns.ban_reason),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}
