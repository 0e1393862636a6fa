-- Predictions: a checkable claim on a comment, forecasts on it, resolution, and scores.
-- Probabilities are stored as whole percent (1–99). Scores are written when a prediction is
-- resolved and summed into per-user and per-(user, article) totals, so no read recomputes them.

CREATE TABLE predictions (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id              BIGINT      NOT NULL REFERENCES comments (id),
    article_id              BIGINT      NOT NULL REFERENCES articles (id),
    author_id               BIGINT      NOT NULL REFERENCES users (id),
    claim                   TEXT        NOT NULL,
    criteria                TEXT,
    resolves_at             TIMESTAMPTZ NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL,
    -- NULL until resolved: yes, no or void.
    outcome                 TEXT CONSTRAINT predictions_outcome_check CHECK (outcome IN ('yes', 'no', 'void')),
    -- The earlier of the deadline and the first resolution: forecasting stops here.
    closed_at               TIMESTAMPTZ,
    resolved_at             TIMESTAMPTZ,
    resolved_by             BIGINT REFERENCES users (id),
    resolution_note         TEXT,
    evidence_url            TEXT,
    -- Kept current by each forecast, so listings need no aggregate.
    forecaster_count        INTEGER     NOT NULL DEFAULT 0,
    community_probability   DOUBLE PRECISION,
    CONSTRAINT predictions_comment_key UNIQUE (comment_id)
);

CREATE INDEX predictions_article_idx ON predictions (article_id, id DESC);
CREATE INDEX predictions_author_idx ON predictions (author_id, id DESC);
CREATE INDEX predictions_closing_idx ON predictions (resolves_at, id) WHERE outcome IS NULL;
CREATE INDEX predictions_newest_idx ON predictions (created_at DESC, id DESC);
CREATE INDEX predictions_popular_idx ON predictions (forecaster_count DESC, id DESC);

CREATE TABLE forecasts (
    prediction_id   BIGINT      NOT NULL REFERENCES predictions (id),
    user_id         BIGINT      NOT NULL REFERENCES users (id),
    article_id      BIGINT      NOT NULL REFERENCES articles (id),
    percent         SMALLINT    NOT NULL CONSTRAINT forecasts_percent_check CHECK (percent BETWEEN 1 AND 99),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (prediction_id, user_id)
);

CREATE TABLE forecast_history (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prediction_id   BIGINT      NOT NULL REFERENCES predictions (id),
    user_id         BIGINT      NOT NULL REFERENCES users (id),
    article_id      BIGINT      NOT NULL REFERENCES articles (id),
    percent         SMALLINT    NOT NULL,
    -- The community median right after this forecast (for the history chart).
    community_probability DOUBLE PRECISION NOT NULL,
    forecasters     INTEGER     NOT NULL,
    made_at         TIMESTAMPTZ NOT NULL
);

CREATE INDEX forecast_history_prediction_idx ON forecast_history (prediction_id, id);

CREATE TABLE forecast_scores (
    prediction_id   BIGINT           NOT NULL REFERENCES predictions (id),
    user_id         BIGINT           NOT NULL REFERENCES users (id),
    article_id      BIGINT           NOT NULL REFERENCES articles (id),
    percent         SMALLINT         NOT NULL,
    outcome_yes     BOOLEAN          NOT NULL,
    brier           DOUBLE PRECISION NOT NULL,
    community_brier DOUBLE PRECISION NOT NULL,
    relative_brier  DOUBLE PRECISION NOT NULL,
    scored_at       TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (prediction_id, user_id)
);

-- Running totals: per user, per (user, article), and per (user, calibration bucket).
CREATE TABLE user_scores (
    user_id             BIGINT           PRIMARY KEY REFERENCES users (id),
    scored_forecasts    INTEGER          NOT NULL DEFAULT 0,
    brier_sum           DOUBLE PRECISION NOT NULL DEFAULT 0,
    relative_brier_sum  DOUBLE PRECISION NOT NULL DEFAULT 0
);

CREATE TABLE user_article_scores (
    user_id             BIGINT           NOT NULL REFERENCES users (id),
    article_id          BIGINT           NOT NULL REFERENCES articles (id),
    scored_forecasts    INTEGER          NOT NULL DEFAULT 0,
    brier_sum           DOUBLE PRECISION NOT NULL DEFAULT 0,
    relative_brier_sum  DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, article_id)
);

CREATE INDEX user_article_scores_article_idx ON user_article_scores (article_id);

CREATE TABLE user_calibration (
    user_id         BIGINT           NOT NULL REFERENCES users (id),
    -- Bucket i holds probabilities in [i/10, (i+1)/10).
    bucket          SMALLINT         NOT NULL CONSTRAINT user_calibration_bucket_check CHECK (bucket BETWEEN 0 AND 9),
    forecasts       INTEGER          NOT NULL DEFAULT 0,
    probability_sum DOUBLE PRECISION NOT NULL DEFAULT 0,
    came_true       INTEGER          NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, bucket)
);

-- The moderation log; the moderation feature adds the other actions.
CREATE TABLE mod_actions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL when done from the command line.
    moderator_id    BIGINT REFERENCES users (id),
    action          TEXT        NOT NULL,
    article_id      BIGINT REFERENCES articles (id),
    comment_id      BIGINT REFERENCES comments (id),
    target_user_id  BIGINT REFERENCES users (id),
    prediction_id   BIGINT REFERENCES predictions (id),
    reason          TEXT,
    expires_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX mod_actions_newest_idx ON mod_actions (created_at DESC, id DESC);

-- Edits of a prediction go into the comment's edit history beside the body.
ALTER TABLE comment_edits
    ADD COLUMN claim        TEXT,
    ADD COLUMN criteria     TEXT,
    ADD COLUMN resolves_at  TIMESTAMPTZ;
