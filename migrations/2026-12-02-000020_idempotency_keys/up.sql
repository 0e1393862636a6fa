-- Idempotency-Key (issue 19): the first response to a POST carrying a key, so that a retry of
-- the same request (same scope, same key, same fingerprint) is answered with it and creates
-- nothing. `scope` is `user:<id>` for an authenticated caller and `anon` for registration.
-- `fingerprint` is SHA-256 over the method, the path and the raw body. A row is written in the
-- transaction of the write it answers where the write allows (comments); `status` is NULL
-- while a request holding the key is running outside such a transaction. Rows older than
-- 24 hours are ignored and pruned by the retention job.
CREATE TABLE idempotency_keys (
    scope        TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    fingerprint  BYTEA       NOT NULL,
    status       SMALLINT,
    content_type TEXT,
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
