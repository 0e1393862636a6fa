//! Moderation's SQL. Every statement the feature runs is here: removal and restore (this
//! file), bans and their advisory lock (`bans.rs`), locks and pins (`locks_pins.rs`), and
//! reports (`reports.rs`, with its reads in `.sql` files beside it). The log has its own
//! (`log/queries.rs`). Functions take a connection and return `QueryResult`; the rules that
//! decide what to run are in the service.

pub mod bans;
pub mod locks_pins;
pub mod reports;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::role::{stored_role, Role};
use crate::comments::queries::{self as comments, CommentForWrite};
use crate::comments::state::CommentState;
use crate::db::schema::{comments as comments_table, users};
use crate::ids::{CommentId, UserId};

pub use bans::{hold_against_bans, BanColumns};

/// The role of a user (the target of an action, whose rank decides who may act).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn role_of(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<Role> {
    users::table
        .find(user_id)
        .select(users::role)
        .first::<String>(conn)
        .await
        .map(|r| stored_role(&r))
}

/// Removes a live comment (the caller has locked its chain): counters drop as for a deletion.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment.id.get()))]
pub async fn remove(
    conn: &mut AsyncPgConnection,
    comment: &CommentForWrite,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(comments_table::table.find(comment.id))
        .set((
            comments_table::state.eq(CommentState::Removed),
            comments_table::removal_reason.eq(reason),
            comments_table::removed_at.eq(now),
            comments_table::pinned_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    comments::count_in_ancestors(conn, &comment.ancestors(), -1).await?;
    comments::count_in_article(conn, comment.article_id, -1).await
}

/// Restores a removed comment (the caller has locked its chain): counters rise again.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment.id.get()))]
pub async fn restore(conn: &mut AsyncPgConnection, comment: &CommentForWrite) -> QueryResult<()> {
    diesel::update(comments_table::table.find(comment.id))
        .set((
            comments_table::state.eq(CommentState::Visible),
            comments_table::removal_reason.eq(None::<String>),
            comments_table::removed_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    comments::count_in_ancestors(conn, &comment.ancestors(), 1).await?;
    comments::count_in_article(conn, comment.article_id, 1).await
}

/// The state of a comment as this transaction sees it (read again after its chain is locked,
/// when a ban removes many comments).
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment_id.get()))]
pub async fn comment_state(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
) -> QueryResult<CommentState> {
    comments_table::table
        .find(comment_id)
        .select(comments_table::state)
        .first(conn)
        .await
}

/// Ids of a user's live comments, ascending (for a ban that removes their content).
#[tracing::instrument(level = "debug", skip_all, fields(author_id = author_id.get()))]
pub async fn live_comment_ids(
    conn: &mut AsyncPgConnection,
    author_id: UserId,
) -> QueryResult<Vec<CommentId>> {
    comments_table::table
        .filter(comments_table::author_id.eq(author_id))
        .filter(comments_table::state.eq(CommentState::Visible))
        .order(comments_table::id.asc())
        .select(comments_table::id)
        .load(conn)
        .await
}
