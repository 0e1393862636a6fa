-- Votes and the ranks they drive.
--
-- A vote is one call of hindsight_vote(): it locks the comment row, reads the voter's previous
-- vote, writes the new one and moves the comment's counters and ranks and the author's karma,
-- all in one statement and one round trip. Every vote on a comment is serialised by that row
-- lock, so counters always equal what comment_votes says. Lock order: comment, then user.

ALTER TABLE comments
    ADD COLUMN upvotes             INTEGER          NOT NULL DEFAULT 0,
    ADD COLUMN downvotes           INTEGER          NOT NULL DEFAULT 0,
    ADD COLUMN score               INTEGER          NOT NULL DEFAULT 0,
    ADD COLUMN rank_best           DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN rank_controversial  DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN rank_hot            DOUBLE PRECISION NOT NULL DEFAULT 0;

CREATE TABLE comment_votes (
    comment_id  BIGINT      NOT NULL REFERENCES comments (id),
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    article_id  BIGINT      NOT NULL REFERENCES articles (id),
    value       SMALLINT    NOT NULL CONSTRAINT comment_votes_value_check CHECK (value IN (-1, 1)),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);

CREATE INDEX comment_votes_user_idx ON comment_votes (user_id);

-- Lower bound of the Wilson score interval (z = 1.281551565545, 80 %); 0 without votes.
CREATE FUNCTION hindsight_wilson(up INTEGER, down INTEGER) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN up + down = 0 THEN 0::float8 ELSE (
        (up::float8 / (up + down)) + 1.281551565545 ^ 2 / (2 * (up + down))
        - 1.281551565545 * sqrt(((up::float8 / (up + down)) * (1 - up::float8 / (up + down))
                                 + 1.281551565545 ^ 2 / (4 * (up + down))) / (up + down))
    ) / (1 + 1.281551565545 ^ 2 / (up + down)) END
$$;

-- (up + down) ^ (min / max) when both are positive, else 0.
CREATE FUNCTION hindsight_controversy(up INTEGER, down INTEGER) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN up > 0 AND down > 0
        THEN (up + down)::float8 ^ (least(up, down)::float8 / greatest(up, down))
        ELSE 0::float8 END
$$;

-- log10(max(1, 3 + score)) / (hours since creation + 2) ^ 1.8, hours from the service's clock.
CREATE FUNCTION hindsight_hot(score INTEGER, created_at TIMESTAMPTZ, now TIMESTAMPTZ) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT log(greatest(1, 3 + score)::float8)
         / (greatest(0, extract(epoch FROM now - created_at)::float8 / 3600) + 2) ^ 1.8
$$;

CREATE FUNCTION hindsight_vote(p_comment BIGINT, p_user BIGINT, p_value SMALLINT, p_now TIMESTAMPTZ)
RETURNS TABLE (outcome TEXT, upvotes INTEGER, downvotes INTEGER, score INTEGER, my_vote SMALLINT)
LANGUAGE plpgsql AS $$
DECLARE
    target RECORD;
    previous SMALLINT;
    d_up INTEGER;
    d_down INTEGER;
BEGIN
    SELECT c.id, c.author_id, c.article_id, c.state, c.upvotes AS up, c.downvotes AS down,
           c.score AS sc, c.created_at
      INTO target
      FROM comments c JOIN articles a ON a.id = c.article_id
     WHERE c.id = p_comment AND a.deleted_at IS NULL
       FOR NO KEY UPDATE OF c;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, 0, 0, 0, 0::smallint;
        RETURN;
    END IF;
    IF target.author_id = p_user THEN
        RETURN QUERY SELECT 'own'::text, target.up, target.down, target.sc, 0::smallint;
        RETURN;
    END IF;
    IF target.state <> 'visible' THEN
        RETURN QUERY SELECT 'not_live'::text, target.up, target.down, target.sc, 0::smallint;
        RETURN;
    END IF;
    SELECT v.value INTO previous FROM comment_votes v
     WHERE v.comment_id = p_comment AND v.user_id = p_user;
    previous := coalesce(previous, 0);
    IF previous = p_value THEN
        RETURN QUERY SELECT 'ok'::text, target.up, target.down, target.sc, p_value;
        RETURN;
    END IF;
    IF p_value = 0 THEN
        DELETE FROM comment_votes v WHERE v.comment_id = p_comment AND v.user_id = p_user;
    ELSIF previous = 0 THEN
        INSERT INTO comment_votes (comment_id, user_id, article_id, value, created_at, updated_at)
        VALUES (p_comment, p_user, target.article_id, p_value, p_now, p_now);
    ELSE
        UPDATE comment_votes v SET value = p_value, updated_at = p_now
         WHERE v.comment_id = p_comment AND v.user_id = p_user;
    END IF;
    d_up := (p_value = 1)::int - (previous = 1)::int;
    d_down := (p_value = -1)::int - (previous = -1)::int;
    UPDATE comments c
       SET upvotes = c.upvotes + d_up,
           downvotes = c.downvotes + d_down,
           score = c.score + d_up - d_down,
           rank_best = hindsight_wilson(c.upvotes + d_up, c.downvotes + d_down),
           rank_controversial = hindsight_controversy(c.upvotes + d_up, c.downvotes + d_down),
           rank_hot = hindsight_hot(c.score + d_up - d_down, c.created_at, p_now)
     WHERE c.id = p_comment;
    UPDATE users u SET karma = u.karma + d_up - d_down WHERE u.id = target.author_id;
    RETURN QUERY SELECT 'ok'::text, target.up + d_up, target.down + d_down,
                        target.sc + d_up - d_down, p_value;
END
$$;

-- Every sort served from an index: the top level per article, children per parent, flat.
CREATE INDEX comments_roots_top_idx ON comments (article_id, score DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_children_top_idx ON comments (parent_id, score DESC, id DESC);
CREATE INDEX comments_article_top_idx ON comments (article_id, score DESC, id DESC);
CREATE INDEX comments_roots_best_idx ON comments (article_id, rank_best DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_children_best_idx ON comments (parent_id, rank_best DESC, id DESC);
CREATE INDEX comments_article_best_idx ON comments (article_id, rank_best DESC, id DESC);
CREATE INDEX comments_roots_controversial_idx ON comments (article_id, rank_controversial DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_children_controversial_idx ON comments (parent_id, rank_controversial DESC, id DESC);
CREATE INDEX comments_article_controversial_idx ON comments (article_id, rank_controversial DESC, id DESC);
CREATE INDEX comments_roots_hot_idx ON comments (article_id, rank_hot DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_children_hot_idx ON comments (parent_id, rank_hot DESC, id DESC);
CREATE INDEX comments_article_hot_idx ON comments (article_id, rank_hot DESC, id DESC);
-- The periodic hot refresh touches only recent comments.
CREATE INDEX comments_recent_idx ON comments (created_at);
