-- Email verification (issue 17). `email_verified_at` is set when the owner of the account's
-- current address follows a mailed link. Existing accounts start unverified (NULL): nobody has
-- proved they read their address yet.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;

-- Verification links, stored as the sha256 of the token (the token itself is only in the
-- mail). A token verifies `email`, the address it was mailed to: if the account's address has
-- changed since, the token is stale and refused. Valid 48 hours, usable once.
CREATE TABLE email_verifications (
    token_hash BYTEA PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);
