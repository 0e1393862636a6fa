//! Refresh-token statements: storing, locking, retiring and revoking (by family or by user).

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::refresh_tokens;

/// A stored refresh token.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RefreshTokenRow {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Login family.
    pub family_id: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged (single use).
    pub used_at: Option<DateTime<Utc>>,
    /// When its family was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a refresh token's hash.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    family_id: &str,
    token_hash: &[u8],
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The token with this hash, locked until the transaction ends (two refreshes with the same
/// token are serialised: the second sees it used).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lock_refresh_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Marks a token as exchanged.
#[tracing::instrument(level = "debug", skip_all, fields(token_id = id))]
pub async fn mark_used(
    conn: &mut AsyncPgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Revokes every token of a login family.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_family(
    conn: &mut AsyncPgConnection,
    family_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await
    .map(|_| ())
}

/// Revokes every refresh token of a user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user_id.get()))]
pub async fn revoke_all_for_user(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await
    .map(|_| ())
}
