//! The event log's reads: what the hub reads after a notification (everything past its
//! high-water mark), what a reconnecting stream replays (its own article's or user's events
//! past `Last-Event-ID`), and the log's horizon (pruned-through and newest id) that decides
//! whether a replay is still possible.

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::ids::{ArticleId, UserId};

/// The columns every read of the log selects: ids only (payloads never carry text), with the
/// payload's ids taken out in SQL so that no JSON is parsed here.
const COLUMNS: &str = "id, kind, article_id, user_id, \
    (payload->>'comment_id')::bigint AS comment_id, \
    (payload->>'prediction_id')::bigint AS prediction_id, \
    (payload->>'notification_id')::bigint AS notification_id";

/// One stored event, as streams need it.
#[derive(Debug, Clone, QueryableByName)]
pub struct LoggedEvent {
    /// Its id: commit order, and the SSE `id:`.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The stored kind name (an unknown one is skipped when rendering).
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The thread stream it goes to.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub article_id: Option<ArticleId>,
    /// The reader's stream it goes to.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub user_id: Option<UserId>,
    /// `payload.comment_id`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub comment_id: Option<i64>,
    /// `payload.prediction_id`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub prediction_id: Option<i64>,
    /// `payload.notification_id`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub notification_id: Option<i64>,
}

/// Every event after `after`, oldest first, at most `limit` (the hub's read).
pub async fn after(
    conn: &mut AsyncPgConnection,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<LoggedEvent>> {
    cached(
        diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await
}

/// An article's events after `after`, oldest first, at most `limit` (a thread's replay).
pub async fn for_article(
    conn: &mut AsyncPgConnection,
    article: ArticleId,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<LoggedEvent>> {
    cached(
        diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM events WHERE article_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind::<BigInt, _>(article)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await
}

/// A reader's events after `after`, oldest first, at most `limit` (a user stream's replay).
pub async fn for_user(
    conn: &mut AsyncPgConnection,
    user: UserId,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<LoggedEvent>> {
    cached(
        diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM events WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind::<BigInt, _>(user)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await
}

/// What a replay can reach: ids at or below `pruned_through` are gone, and no id above
/// `newest` exists yet.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct Horizon {
    /// Through which id the log has been pruned.
    #[diesel(sql_type = BigInt)]
    pub pruned_through: i64,
    /// The newest id in the log (the pruned-through id when the log is empty).
    #[diesel(sql_type = BigInt)]
    pub newest: i64,
}

/// The log's horizon, in one statement (one snapshot).
pub async fn horizon(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Horizon> {
    cached(diesel::sql_query(
        "SELECT s.pruned_through, \
                greatest(s.pruned_through, coalesce((SELECT max(id) FROM events), 0)) AS newest \
         FROM event_log_state s",
    ))
    .get_result(conn)
    .await
}

/// The newest id in the log (0 when empty): where a new hub starts reading.
pub async fn newest(conn: &mut AsyncPgConnection) -> diesel::QueryResult<i64> {
    horizon(conn).await.map(|h| h.newest)
}
