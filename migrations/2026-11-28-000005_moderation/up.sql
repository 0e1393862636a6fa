-- Moderation: removals, pins, bans, reports. Locks use articles.locked/lock_reason; the log is
-- mod_actions (predictions migration).

ALTER TABLE users
    -- Set while a ban is in force; banned_until NULL means permanent. A ban lapses by itself
    -- once the service's clock passes banned_until.
    ADD COLUMN banned_at     TIMESTAMPTZ,
    ADD COLUMN banned_until  TIMESTAMPTZ,
    ADD COLUMN ban_reason    TEXT;

ALTER TABLE comments
    ADD COLUMN removal_reason     TEXT,
    ADD COLUMN removed_at         TIMESTAMPTZ,
    ADD COLUMN pinned_at          TIMESTAMPTZ,
    ADD COLUMN open_report_count  INTEGER NOT NULL DEFAULT 0;

CREATE INDEX comments_pinned_idx ON comments (article_id, pinned_at) WHERE pinned_at IS NOT NULL;
-- Counting placeholder children (removed, or deleted with live replies) per parent.
CREATE INDEX comments_not_live_idx ON comments (parent_id) WHERE state <> 'visible';
-- The report queue: most reported first, an index scan.
CREATE INDEX comments_reported_idx ON comments (open_report_count DESC, id DESC) WHERE open_report_count > 0;

CREATE TABLE report_resolutions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id    BIGINT      NOT NULL REFERENCES comments (id),
    article_id    BIGINT      NOT NULL REFERENCES articles (id),
    resolved_by   BIGINT      NOT NULL REFERENCES users (id),
    action        TEXT        NOT NULL CONSTRAINT report_resolutions_action_check CHECK (action IN ('dismiss', 'remove')),
    reason        TEXT        NOT NULL,
    resolved_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX report_resolutions_newest_idx ON report_resolutions (resolved_at DESC, id DESC);

CREATE TABLE reports (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id     BIGINT      NOT NULL REFERENCES comments (id),
    article_id     BIGINT      NOT NULL REFERENCES articles (id),
    reporter_id    BIGINT      NOT NULL REFERENCES users (id),
    reason         TEXT        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    -- NULL while open.
    resolution_id  BIGINT REFERENCES report_resolutions (id)
);

-- One open report per user per comment.
CREATE UNIQUE INDEX reports_open_key ON reports (comment_id, reporter_id) WHERE resolution_id IS NULL;
CREATE INDEX reports_resolution_idx ON reports (resolution_id);

CREATE INDEX mod_actions_article_idx ON mod_actions (article_id, created_at DESC, id DESC);
CREATE INDEX mod_actions_target_idx ON mod_actions (target_user_id, created_at DESC, id DESC);
