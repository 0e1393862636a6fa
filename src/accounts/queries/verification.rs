//! Email-verification statements: storing a mailed token's hash and using a token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::{email_verifications, users};
use crate::ids::UserId;

/// Stores the hash of a token that verifies `email` for `user_id` until `expires_at`.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn insert_verification(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    email: &str,
    token_hash: &[u8],
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(email_verifications::table)
        .values((
            email_verifications::token_hash.eq(token_hash),
            email_verifications::user_id.eq(user_id.get()),
            email_verifications::email.eq(email),
            email_verifications::created_at.eq(now),
            email_verifications::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Uses the token with this hash at `now` and marks its account verified (`verify_email.sql`):
/// the account's id, or None when the token is unknown, used, expired or for an address the
/// account no longer has.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn use_verification(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<i64>> {
    #[derive(QueryableByName)]
    struct Verified {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    cached(
        diesel::sql_query(include_str!("verify_email.sql"))
            .bind::<Bytea, _>(token_hash)
            .bind::<Timestamptz, _>(now),
    )
    .get_result::<Verified>(conn)
    .await
    .optional()
    .map(|row| row.map(|row| row.id))
}

/// Sets a new address, unverified.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn set_email(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    email: &str,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id.get()))
        .set((
            users::email.eq(email),
            users::email_verified_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Marks the account's address verified at `now` unless it already is (demo accounts, whose
/// `.invalid` addresses can receive no link).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn mark_verified(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id.get()))
        .filter(users::email_verified_at.is_null())
        .set(users::email_verified_at.eq(now))
        .execute(conn)
        .await
        .map(drop)
}
