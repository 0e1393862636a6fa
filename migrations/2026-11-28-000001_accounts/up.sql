-- Accounts, refresh-token families and the server's generated secrets.

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        TEXT        NOT NULL,
    -- NULL once the account is deleted (anonymised).
    email           TEXT,
    password_hash   TEXT,
    role            TEXT        NOT NULL DEFAULT 'reader'
                    CONSTRAINT users_role_check CHECK (role IN ('reader', 'moderator', 'admin')),
    display_name    TEXT,
    bio             TEXT,
    karma           BIGINT      NOT NULL DEFAULT 0,
    -- Bumped on password change and deletion: access tokens carrying an older version are refused.
    token_version   INTEGER     NOT NULL DEFAULT 0,
    deleted_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);

-- Uniqueness without regard to case; the constraint names become 409s naming the field.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE refresh_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- One family per login; reuse of a retired token revokes the whole family.
    family_id   TEXT        NOT NULL,
    token_hash  BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE server_secrets (
    name        TEXT        PRIMARY KEY,
    value       BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
