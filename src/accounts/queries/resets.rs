//! Password-reset statements on `password_resets`: issuing a token (retiring the account's
//! older unused ones), and taking one for a confirmation.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::ids::UserId;

/// The live account a reset may be sent to.
#[derive(Debug, QueryableByName)]
pub struct ResetAccount {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Username.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Address (deleted accounts have none and are never found).
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
}

/// The live account whose address is `email`, ignoring case.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_email(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<ResetAccount>> {
    cached(
        diesel::sql_query(
            "SELECT id, username, email FROM users \
             WHERE deleted_at IS NULL AND lower(email) = lower($1)",
        )
        .bind::<Text, _>(email),
    )
    .get_result(conn)
    .await
    .optional()
}

/// The live account named `username`, ignoring case.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_username(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> QueryResult<Option<ResetAccount>> {
    cached(
        diesel::sql_query(
            "SELECT id, username, email FROM users \
             WHERE deleted_at IS NULL AND lower(username) = lower($1)",
        )
        .bind::<Text, _>(username),
    )
    .get_result(conn)
    .await
    .optional()
}

/// Stores a token's hash for `user`, valid until `expires_at`; the account's older unused
/// tokens are marked used first, so only the newest link works.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.get()))]
pub async fn issue(
    conn: &mut AsyncPgConnection,
    user: UserId,
    token_hash: &[u8],
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    cached(
        diesel::sql_query(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind::<BigInt, _>(user.get())
        .bind::<Timestamptz, _>(now),
    )
    .execute(conn)
    .await?;
    cached(
        diesel::sql_query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind::<Bytea, _>(token_hash)
        .bind::<BigInt, _>(user.get())
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(expires_at),
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Marks the token with this hash used if it is unused and unexpired at `now`, returning its
/// account; `None` for an unknown, used or expired token (one answer for all three). The row
/// lock of the update serialises two confirmations of the same token: the second finds it used.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn take(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<UserId>> {
    #[derive(QueryableByName)]
    struct Owner {
        #[diesel(sql_type = BigInt)]
        user_id: i64,
    }
    cached(
        diesel::sql_query(
            "UPDATE password_resets SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING user_id",
        )
        .bind::<Bytea, _>(token_hash)
        .bind::<Timestamptz, _>(now),
    )
    .get_result::<Owner>(conn)
    .await
    .optional()
    .map(|row| row.map(|r| UserId::from(r.user_id)))
}

/// The live account of an unused, unexpired token, without taking it (the password rules need
/// the username and address before the new password is hashed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn peek(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<ResetAccount>> {
    cached(
        diesel::sql_query(
            "SELECT u.id, u.username, u.email FROM password_resets r \
             JOIN users u ON u.id = r.user_id \
             WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 \
             AND u.deleted_at IS NULL",
        )
        .bind::<Bytea, _>(token_hash)
        .bind::<Timestamptz, _>(now),
    )
    .get_result(conn)
    .await
    .optional()
}
