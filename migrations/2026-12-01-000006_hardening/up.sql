-- Hardening: bans that outlive account deletion, and deleted text erased everywhere.

-- A ban in force when its account is deleted stays here until it would have lapsed, so that
-- registering again with the same username or email address is refused. Only keys are kept:
-- the username folded to lower case, and a SHA-256 (hex) of the normalised email address
-- (lower case, `+tag` dropped), never the address itself.
CREATE TABLE retained_bans (
    user_id       BIGINT      PRIMARY KEY REFERENCES users (id),
    username_key  TEXT        NOT NULL,
    email_key     TEXT,
    banned_until  TIMESTAMPTZ,
    ban_reason    TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX retained_bans_username_idx ON retained_bans (username_key);
CREATE INDEX retained_bans_email_idx ON retained_bans (email_key);

-- An author's deletion erases the text and its edit history (earlier versions kept it).
DELETE FROM comment_edits WHERE comment_id IN (SELECT id FROM comments WHERE state = 'deleted');
UPDATE comments SET body = '', body_html = '' WHERE state = 'deleted' AND body <> '';
