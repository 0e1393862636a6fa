//! Every statement on `mail_outbox`: enqueueing (in the caller's transaction), the worker's
//! claim and marks, and the admins' list of failures.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::OutgoingMail;

/// Writes `mail` into the outbox, due at once. Call it inside the transaction of what causes
/// the mail, so the mail exists exactly when its cause commits. Returns the row's id.
#[tracing::instrument(level = "debug", skip_all, fields(purpose = %mail.purpose))]
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    mail: &OutgoingMail,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    diesel::sql_query(
        "INSERT INTO mail_outbox (recipient, subject, text_body, html_body, list_unsubscribe, \
         list_unsubscribe_post, purpose, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind::<Text, _>(&mail.recipient)
    .bind::<Text, _>(&mail.subject)
    .bind::<Text, _>(&mail.text_body)
    .bind::<Nullable<Text>, _>(mail.html_body.as_deref())
    .bind::<Nullable<Text>, _>(mail.list_unsubscribe.as_deref())
    .bind::<Nullable<Text>, _>(mail.list_unsubscribe_post.as_deref())
    .bind::<Text, _>(&mail.purpose)
    .bind::<Timestamptz, _>(now)
    .get_result::<Id>(conn)
    .await
    .map(|row| row.id)
}

/// A claimed outbox row: the mail and how often it was tried.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Recipient.
    #[diesel(sql_type = Text)]
    pub recipient: String,
    /// Subject.
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// Plain text.
    #[diesel(sql_type = Text)]
    pub text_body: String,
    /// HTML alternative.
    #[diesel(sql_type = Nullable<Text>)]
    pub html_body: Option<String>,
    /// `List-Unsubscribe`.
    #[diesel(sql_type = Nullable<Text>)]
    pub list_unsubscribe: Option<String>,
    /// `List-Unsubscribe-Post`.
    #[diesel(sql_type = Nullable<Text>)]
    pub list_unsubscribe_post: Option<String>,
    /// Purpose.
    #[diesel(sql_type = Text)]
    pub purpose: String,
    /// Failed attempts so far.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Locks the next due row no other transaction holds (`claim.sql`), or `None`.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<Option<Claimed>> {
    diesel::sql_query(include_str!("claim.sql"))
        .bind::<Timestamptz, _>(now)
        .get_result(conn)
        .await
        .optional()
}

/// Marks a row sent.
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query("UPDATE mail_outbox SET sent_at = $2, last_error = NULL WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Records a failed attempt to retry at `next_attempt_at`; `counted` false leaves the attempt
/// count as it was (a refused login is not the mail's failure).
pub async fn mark_retry(
    conn: &mut AsyncPgConnection,
    id: i64,
    error: &str,
    next_attempt_at: DateTime<Utc>,
    counted: bool,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE mail_outbox SET attempts = attempts + $4::int, last_error = $2, \
         next_attempt_at = $3 WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(error)
    .bind::<Timestamptz, _>(next_attempt_at)
    .bind::<Integer, _>(i32::from(counted))
    .execute(conn)
    .await
    .map(|_| ())
}

/// Records the last failed attempt: the row is failed for good.
pub async fn mark_failed(
    conn: &mut AsyncPgConnection,
    id: i64,
    error: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, failed_at = $3 \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(error)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Deletes mail sent before `cutoff` (the retention job): their bodies may hold tokens, and
/// nothing reads a sent row. Pending and failed rows stay.
pub async fn delete_sent_before(
    conn: &mut AsyncPgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM mail_outbox WHERE sent_at < $1")
        .bind::<Timestamptz, _>(cutoff)
        .execute(conn)
        .await
}

/// A failed mail as admins see it (no bodies).
#[derive(Debug, QueryableByName)]
pub struct FailedRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Recipient.
    #[diesel(sql_type = Text)]
    pub recipient: String,
    /// Subject.
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// Purpose.
    #[diesel(sql_type = Text)]
    pub purpose: String,
    /// Attempts made.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// The last error.
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    /// When it was given up.
    #[diesel(sql_type = Timestamptz)]
    pub failed_at: DateTime<Utc>,
    /// When it was enqueued.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A page of failures, newest first: `limit + 1` rows after the keyset `after`.
pub async fn failures(
    conn: &mut AsyncPgConnection,
    limit: i64,
    after: Option<(DateTime<Utc>, i64)>,
) -> QueryResult<Vec<FailedRow>> {
    diesel::sql_query(include_str!("failures.sql"))
        .bind::<BigInt, _>(limit + 1)
        .bind::<Nullable<Timestamptz>, _>(after.map(|(at, _)| at))
        .bind::<Nullable<BigInt>, _>(after.map(|(_, id)| id))
        .load(conn)
        .await
}
