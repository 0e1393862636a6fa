-- The durable outbox of outgoing mail (src/mail/). A mail is inserted in the transaction of
-- what causes it, so it exists exactly when its cause does; the worker sends it later, with
-- retries, and marks it sent or failed. Bodies may hold tokens: only the worker reads them.
CREATE TABLE mail_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT,
    list_unsubscribe TEXT,
    list_unsubscribe_post TEXT,
    purpose TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    last_error TEXT,
    CONSTRAINT mail_outbox_done_once CHECK (sent_at IS NULL OR failed_at IS NULL)
);

-- The pending queue the worker claims from, due first.
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;

-- The admins' list of permanent failures, newest first.
CREATE INDEX mail_outbox_failed_idx ON mail_outbox (failed_at DESC, id DESC)
    WHERE failed_at IS NOT NULL;
