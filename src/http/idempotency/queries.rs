//! Every statement of `Idempotency-Key`: claiming a key, reading a stored answer, storing one,
//! releasing a claim, pruning expired keys.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;

/// A key's row as a retry finds it.
#[derive(Debug, QueryableByName)]
pub struct StoredKey {
    /// SHA-256 of method, path and body of the request that claimed the key.
    #[diesel(sql_type = Bytea)]
    pub fingerprint: Vec<u8>,
    /// The answer's status; None while the claiming request still runs.
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub status: Option<i16>,
    /// The answer's `Content-Type`.
    #[diesel(sql_type = Nullable<Text>)]
    pub content_type: Option<String>,
    /// The answer's body.
    #[diesel(sql_type = Nullable<Bytea>)]
    pub body: Option<Vec<u8>>,
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    claimed: i64,
}

/// Claims `(scope, key)` for this request: inserts it, or takes over a row older than `ttl`
/// hours. True when claimed. A row another transaction inserted and has not committed makes
/// this wait for its end (PostgreSQL's unique index): a concurrent duplicate waits.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
    fingerprint: &[u8],
    now: DateTime<Utc>,
    ttl_hours: i64,
) -> QueryResult<bool> {
    let rows: Vec<Claimed> = cached(
        diesel::sql_query(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, \
                 created_at = EXCLUDED.created_at, status = NULL, content_type = NULL, body = NULL \
             WHERE idempotency_keys.created_at <= $4 - make_interval(hours => $5::int) \
             RETURNING 1::bigint AS claimed",
        )
        .bind::<Text, _>(scope)
        .bind::<Text, _>(key)
        .bind::<Bytea, _>(fingerprint)
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(ttl_hours),
    )
    .load(conn)
    .await?;
    Ok(!rows.is_empty())
}

/// The row of `(scope, key)`, if any (read after a claim failed).
pub async fn stored(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
) -> QueryResult<Option<StoredKey>> {
    cached(
        diesel::sql_query(
            "SELECT fingerprint, status, content_type, body FROM idempotency_keys \
             WHERE scope = $1 AND key = $2",
        )
        .bind::<Text, _>(scope)
        .bind::<Text, _>(key),
    )
    .get_result(conn)
    .await
    .optional()
}

/// Stores the answer of the request that claimed `(scope, key)`.
pub async fn complete(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> QueryResult<()> {
    cached(
        diesel::sql_query(
            "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 \
             WHERE scope = $1 AND key = $2",
        )
        .bind::<Text, _>(scope)
        .bind::<Text, _>(key)
        .bind::<SmallInt, _>(i16::try_from(status).unwrap_or(i16::MAX))
        .bind::<Text, _>(content_type)
        .bind::<Bytea, _>(body),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Drops a claim whose request was refused, so that a retry with the key runs again.
pub async fn release(conn: &mut AsyncPgConnection, scope: &str, key: &str) -> QueryResult<()> {
    cached(
        diesel::sql_query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind::<Text, _>(scope)
            .bind::<Text, _>(key),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Deletes keys older than `ttl_hours` (the retention job); returns how many.
pub async fn prune(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    ttl_hours: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE created_at <= $1 - make_interval(hours => $2::int)",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(ttl_hours)
    .execute(conn)
    .await
}
