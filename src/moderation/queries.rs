//! Moderation queries: removal and restore, bans and their lock, roles of targets.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::role::{stored_role, Role};
use crate::comments::queries::{self as comments, CommentForWrite};
use crate::db::cached;
use crate::db::schema::{comments as comments_table, users};

/// The role of a user.
pub async fn role_of(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Role> {
    users::table
        .find(user_id)
        .select(users::role)
        .first::<String>(conn)
        .await
        .map(|r| stored_role(&r))
}

/// Removes a live comment (the caller has locked its chain): counters drop as for a deletion.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    comment: &CommentForWrite,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(comments_table::table.find(comment.id))
        .set((
            comments_table::state.eq("removed"),
            comments_table::removal_reason.eq(reason),
            comments_table::removed_at.eq(now),
            comments_table::pinned_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    comments::count_in_ancestors(conn, &comment.ancestors(), -1).await?;
    comments::count_in_article(conn, comment.article_id, -1).await
}

/// Restores a removed comment (the caller has locked its chain).
pub async fn restore(conn: &mut AsyncPgConnection, comment: &CommentForWrite) -> QueryResult<()> {
    diesel::update(comments_table::table.find(comment.id))
        .set((
            comments_table::state.eq("visible"),
            comments_table::removal_reason.eq(None::<String>),
            comments_table::removed_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    comments::count_in_ancestors(conn, &comment.ancestors(), 1).await?;
    comments::count_in_article(conn, comment.article_id, 1).await
}

/// Locks the chain of a comment and removes it if it is live; returns whether it was.
pub async fn remove_if_live(
    conn: &mut AsyncPgConnection,
    comment: &CommentForWrite,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let state = comments::lock_chain(conn, &comment.chain()).await?;
    if state.as_deref() != Some("visible") {
        return Ok(false);
    }
    remove(conn, comment, reason, now).await?;
    Ok(true)
}

/// Removes every live comment of a user. All their chains are locked first, in one ascending
/// pass, before any article row is touched, keeping the lock order (comments, then articles).
pub async fn remove_all(
    conn: &mut AsyncPgConnection,
    author_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let mut targets = Vec::new();
    for id in live_comment_ids(conn, author_id).await? {
        if let Some(comment) = comments::find_for_write(conn, id).await? {
            targets.push(comment);
        }
    }
    let mut chain: Vec<i64> = targets.iter().flat_map(CommentForWrite::chain).collect();
    chain.sort_unstable();
    chain.dedup();
    comments::lock_chain(conn, &chain).await?;
    let mut removed = 0;
    for comment in &targets {
        let state: String = comments_table::table
            .find(comment.id)
            .select(comments_table::state)
            .first(conn)
            .await?;
        if state == "visible" {
            remove(conn, comment, reason, now).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Ids of a user's live comments (for a ban that removes their content).
pub async fn live_comment_ids(
    conn: &mut AsyncPgConnection,
    author_id: i64,
) -> QueryResult<Vec<i64>> {
    comments_table::table
        .filter(comments_table::author_id.eq(author_id))
        .filter(comments_table::state.eq("visible"))
        .order(comments_table::id.asc())
        .select(comments_table::id)
        .load(conn)
        .await
}

/// The class of the advisory locks that order a user's new comments against bans of that
/// user (`ban` in ASCII).
const BAN_LOCK_CLASS: i32 = 0x0062_616e;

/// A user's stored ban columns: banned_at, banned_until, ban_reason.
pub type BanColumns = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<String>);

/// Holds, until the transaction ends, the shared side of the user's ban lock, then reads the
/// ban as committed at that moment. A new comment takes it first (before any row lock), so a
/// ban either commits before the comment's check (which then sees it) or waits for the comment
/// to commit (and its content removal then sees the comment). An advisory lock rather than the
/// user row, because votes lock comments before users and a row lock here would deadlock.
pub async fn hold_against_bans(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<BanColumns> {
    cached(
        diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1, ($2 % 2147483648)::int4)")
            .bind::<diesel::sql_types::Integer, _>(BAN_LOCK_CLASS)
            .bind::<diesel::sql_types::BigInt, _>(user_id),
    )
    .execute(conn)
    .await?;
    users::table
        .find(user_id)
        .select((users::banned_at, users::banned_until, users::ban_reason))
        .first(conn)
        .await
}

/// Takes the exclusive side of the user's ban lock (see [`hold_against_bans`]); a ban takes it
/// before anything else, so comments being written commit first and none start meanwhile.
pub async fn lock_for_ban(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<()> {
    cached(
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, ($2 % 2147483648)::int4)")
            .bind::<diesel::sql_types::Integer, _>(BAN_LOCK_CLASS)
            .bind::<diesel::sql_types::BigInt, _>(user_id),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// A ban to store: since, until (None: permanent), why.
pub type NewBan<'a> = (DateTime<Utc>, Option<DateTime<Utc>>, &'a str);

/// Sets or clears a ban.
pub async fn set_ban(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    ban: Option<NewBan<'_>>,
) -> QueryResult<()> {
    let (at, until, reason) = match ban {
        Some((at, until, reason)) => (Some(at), until, Some(reason.to_owned())),
        None => (None, None, None),
    };
    diesel::update(users::table.find(user_id))
        .set((
            users::banned_at.eq(at),
            users::banned_until.eq(until),
            users::ban_reason.eq(reason),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}
