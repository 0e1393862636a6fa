-- Uses a verification token ($1: its sha256) at $2 and marks its account verified, in one
-- statement: only an unused, unexpired token whose address is still the live account's
-- address counts. Returns the account's id, or no row when the token is refused.
WITH used AS (
    UPDATE email_verifications v
    SET used_at = $2
    FROM users u
    WHERE v.token_hash = $1
      AND v.used_at IS NULL
      AND v.expires_at > $2
      AND u.id = v.user_id
      AND u.deleted_at IS NULL
      AND lower(u.email) = lower(v.email)
    RETURNING v.user_id
)
UPDATE users
SET email_verified_at = $2
FROM used
WHERE users.id = used.user_id
RETURNING users.id
