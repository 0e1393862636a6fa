-- Password-reset tokens (src/accounts/reset.rs). Only the SHA-256 of a token is stored; the
-- token itself is in the mail (or printed by `hindsight reset-password`). A token is valid for
-- an hour and used once; issuing a new one for an account marks its older unused ones used, so
-- only the newest link works.
CREATE TABLE password_resets (
    token_hash BYTEA PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE INDEX password_resets_user_idx ON password_resets (user_id) WHERE used_at IS NULL;
