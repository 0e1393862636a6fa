-- Articles and their threaded comments.
--
-- Lock order for writes that touch several counters (so concurrent writes cannot deadlock):
-- comments, ancestors first (ascending id) → articles → users.

CREATE TABLE articles (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            TEXT        NOT NULL,
    title           TEXT        NOT NULL,
    summary         TEXT,
    body            TEXT        NOT NULL,
    body_html       TEXT        NOT NULL,
    tags            TEXT[]      NOT NULL DEFAULT '{}',
    author_id       BIGINT      NOT NULL REFERENCES users (id),
    published_at    TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    -- Live comments (neither deleted nor removed).
    comment_count   BIGINT      NOT NULL DEFAULT 0,
    locked          BOOLEAN     NOT NULL DEFAULT FALSE,
    lock_reason     TEXT,
    -- Soft delete: the article and its thread disappear from every read; rows stay.
    deleted_at      TIMESTAMPTZ
);

-- Slugs stay unique even after a soft delete, so links never silently change target.
CREATE UNIQUE INDEX articles_slug_key ON articles (slug);
CREATE INDEX articles_published_idx ON articles (published_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX articles_tags_idx ON articles USING GIN (tags) WHERE deleted_at IS NULL;

CREATE TABLE comments (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id          BIGINT      NOT NULL REFERENCES articles (id),
    parent_id           BIGINT      REFERENCES comments (id),
    -- Ancestor ids, root first (empty for a top-level comment): one UPDATE reaches them all.
    path                BIGINT[]    NOT NULL DEFAULT '{}',
    depth               INTEGER     NOT NULL,
    author_id           BIGINT      NOT NULL REFERENCES users (id),
    body                TEXT        NOT NULL,
    body_html           TEXT        NOT NULL,
    -- One state, so every listing, counter and partial index agrees on what "live" means.
    state               TEXT        NOT NULL DEFAULT 'visible'
                        CONSTRAINT comments_state_check CHECK (state IN ('visible', 'deleted', 'removed')),
    created_at          TIMESTAMPTZ NOT NULL,
    edited_at           TIMESTAMPTZ,
    -- Live direct children and live descendants.
    reply_count         INTEGER     NOT NULL DEFAULT 0,
    descendant_count    INTEGER     NOT NULL DEFAULT 0,
    CONSTRAINT comments_depth_matches_path CHECK (depth = cardinality(path))
);

-- Every sort is served from an index: top level per article, children per parent, flat per
-- article, and a user's history.
CREATE INDEX comments_roots_new_idx ON comments (article_id, created_at DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_children_new_idx ON comments (parent_id, created_at DESC, id DESC);
CREATE INDEX comments_article_new_idx ON comments (article_id, created_at DESC, id DESC);
CREATE INDEX comments_author_new_idx ON comments (author_id, created_at DESC, id DESC) WHERE state = 'visible';
-- Placeholders (not live, but with live descendants) are rare; counting them per parent is cheap.
CREATE INDEX comments_placeholders_idx ON comments (parent_id) WHERE state <> 'visible' AND descendant_count > 0;

CREATE TABLE comment_edits (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id  BIGINT      NOT NULL REFERENCES comments (id),
    article_id  BIGINT      NOT NULL REFERENCES articles (id),
    -- The text as it was before this edit, and when that text was written.
    body        TEXT        NOT NULL,
    written_at  TIMESTAMPTZ NOT NULL,
    replaced_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX comment_edits_comment_idx ON comment_edits (comment_id, id);
