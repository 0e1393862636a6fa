//! The event log's writes: appending in the caller's transaction, and draining the comments
//! whose vote counts changed into `votes` events.

use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{Event, EventKind};
use crate::db::cached;
use crate::ids::{ArticleId, CommentId};

/// Appends `events` (nothing when empty). Call it as the last statement of the write's
/// transaction: from here to commit the transaction holds the log's ordering lock.
#[tracing::instrument(level = "debug", skip_all, fields(events = events.len()))]
pub async fn append(conn: &mut AsyncPgConnection, events: &[Event]) -> diesel::QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let articles: Vec<Option<i64>> = events
        .iter()
        .map(|e| e.article_id.map(ArticleId::get))
        .collect();
    let users: Vec<Option<i64>> = events.iter().map(|e| e.user_id.map(|u| u.get())).collect();
    let payloads: Vec<String> = events.iter().map(|e| e.payload.to_string()).collect();
    cached(
        diesel::sql_query("SELECT r.append_events($1, $2, $3, $4::jsonb[])")
            .bind::<Array<Text>, _>(kinds)
            .bind::<Array<Nullable<BigInt>>, _>(articles)
            .bind::<Array<Nullable<BigInt>>, _>(users)
            .bind::<Array<Text>, _>(payloads),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// A comment whose counts changed since the last `votes` events.
#[derive(Debug, QueryableByName)]
struct ChangedVotes {
    #[diesel(sql_type = BigInt)]
    comment_id: CommentId,
    #[diesel(sql_type = BigInt)]
    article_id: ArticleId,
}

/// Drains `vote_changes` into one `votes` event per comment, in one transaction (the caller's).
/// Returns how many events were written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn flush_vote_changes(conn: &mut AsyncPgConnection) -> diesel::QueryResult<usize> {
    let changed: Vec<ChangedVotes> = cached(diesel::sql_query(
        "DELETE FROM vote_changes RETURNING comment_id, article_id",
    ))
    .load(conn)
    .await?;
    let events: Vec<Event> = changed
        .iter()
        .map(|c| Event::comment(EventKind::Votes, c.article_id, c.comment_id))
        .collect();
    append(conn, &events).await?;
    Ok(events.len())
}
