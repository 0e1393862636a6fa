-- Notifications and live threads on one durable event log (src/events/, src/notifications/).

-- The event log: what a live stream delivers and what `Last-Event-ID` replays. A row belongs
-- to a thread stream (article_id), to one reader's stream (user_id), or to both. Payloads hold
-- ids and counts only, never text: the text a stream shows is read when it is delivered, so
-- a comment removed since is replayed as removed. Ids are handed out under a transaction-level
-- advisory lock taken just before the insert (r.append_events), so they are in commit order and
-- a reader that has seen id N has seen every event below N. Kept at least 24 hours.
CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind        TEXT        NOT NULL,
    article_id  BIGINT,
    user_id     BIGINT,
    payload     JSONB       NOT NULL DEFAULT '{}'
);
CREATE INDEX events_article_idx ON events (article_id, id) WHERE article_id IS NOT NULL;
CREATE INDEX events_user_idx ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_created_idx ON events (created_at);

-- Through which id the log has been pruned: a Last-Event-ID below it missed a deleted event
-- and gets `reset`.
CREATE TABLE event_log_state (
    singleton      BOOLEAN PRIMARY KEY DEFAULT true CONSTRAINT event_log_state_one CHECK (singleton),
    pruned_through BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO event_log_state DEFAULT VALUES;

-- Comments whose vote counts changed since the last `votes` events were written: r.vote marks
-- them, the once-a-second job drains them (at most one event per comment per second).
CREATE TABLE vote_changes (
    comment_id  BIGINT PRIMARY KEY,
    article_id  BIGINT NOT NULL
);

-- Background jobs that run once per interval across every instance: the job whose
-- `last_run_at` is older than its interval is claimed by one UPDATE.
CREATE TABLE job_runs (
    name         TEXT        PRIMARY KEY,
    last_run_at  TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
);

CREATE TABLE notifications (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT        NOT NULL CONSTRAINT notifications_kind_check CHECK (kind IN (
                       'reply', 'mention', 'prediction_resolved', 'deadline_passed',
                       'comment_removed', 'comment_restored', 'ban', 'unban', 'report_resolved')),
    actor_id       BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    article_id     BIGINT      REFERENCES articles (id) ON DELETE CASCADE,
    comment_id     BIGINT      REFERENCES comments (id) ON DELETE CASCADE,
    prediction_id  BIGINT      REFERENCES predictions (id) ON DELETE CASCADE,
    -- Kind-specific facts: a reason, an outcome and Brier score, a ban's end. Never the text of
    -- a comment: snippets are read when the notification is shown, and only from live comments.
    data           JSONB       NOT NULL DEFAULT '{}',
    created_at     TIMESTAMPTZ NOT NULL,
    read_at        TIMESTAMPTZ
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_created_idx ON notifications (created_at);

-- A kind a reader switched off (absent: on).
CREATE TABLE notification_settings (
    user_id  BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL,
    in_app   BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- A subtree a reader muted: no reply notifications from anywhere under it.
CREATE TABLE comment_mutes (
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment_id  BIGINT      NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, comment_id)
);

-- Single-use tickets for `GET /me/events` (EventSource cannot send headers); only the hash is kept.
CREATE TABLE stream_tickets (
    token_hash  BYTEA       PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- When the deadline notices for a prediction went out (NULL: not yet).
ALTER TABLE predictions ADD COLUMN deadline_notified_at TIMESTAMPTZ;
CREATE INDEX predictions_deadline_pending_idx ON predictions (resolves_at)
    WHERE outcome IS NULL AND deadline_notified_at IS NULL;
