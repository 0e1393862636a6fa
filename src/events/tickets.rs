//! Stream tickets: `EventSource` cannot send an Authorization header, and an access token in
//! a URL would end up in logs and histories. A ticket is 32 random bytes (base64url), valid
//! for a short time and for one stream: the table keeps only its SHA-256, and redeeming it
//! deletes the row, on whichever instance the stream opens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bytea, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::cached;
use crate::ids::UserId;

/// A new ticket and the hash it is stored under.
fn new_ticket() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let ticket = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&ticket);
    (ticket, hash)
}

fn hash(ticket: &str) -> Vec<u8> {
    Sha256::digest(ticket.as_bytes()).to_vec()
}

/// Stores a ticket for `user` valid until `expires_at` (sweeping expired ones first, so the
/// table stays as small as the number of streams being opened); returns the ticket.
pub async fn issue(
    conn: &mut AsyncPgConnection,
    user: UserId,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> diesel::QueryResult<String> {
    cached(
        diesel::sql_query("DELETE FROM stream_tickets WHERE expires_at <= $1")
            .bind::<Timestamptz, _>(now),
    )
    .execute(conn)
    .await?;
    let (ticket, hash) = new_ticket();
    cached(
        diesel::sql_query(
            "INSERT INTO stream_tickets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind::<Bytea, _>(hash)
        .bind::<BigInt, _>(user)
        .bind::<Timestamptz, _>(expires_at),
    )
    .execute(conn)
    .await?;
    Ok(ticket)
}

#[derive(QueryableByName)]
struct Redeemed {
    #[diesel(sql_type = BigInt)]
    user_id: UserId,
}

/// The reader a ticket was issued to, deleting it: `None` for an unknown, used or expired
/// ticket, or one whose account was deleted since.
pub async fn redeem(
    conn: &mut AsyncPgConnection,
    ticket: &str,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Option<UserId>> {
    let redeemed: Option<Redeemed> = cached(
        diesel::sql_query(
            "DELETE FROM stream_tickets t USING users u \
             WHERE t.token_hash = $1 AND t.expires_at > $2 \
               AND u.id = t.user_id AND u.deleted_at IS NULL \
             RETURNING t.user_id",
        )
        .bind::<Bytea, _>(hash(ticket))
        .bind::<Timestamptz, _>(now),
    )
    .get_results(conn)
    .await?
    .into_iter()
    .next();
    Ok(redeemed.map(|r| r.user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_32_random_bytes_stored_as_their_hash() {
        let (ticket, stored) = new_ticket();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&ticket).expect("base64url").len(),
            32
        );
        assert_eq!(stored, hash(&ticket));
        assert_ne!(new_ticket().0, ticket);
    }
}
