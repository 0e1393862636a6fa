-- The replaceable schema: every SQL function of the service, in schema `r`.
--
-- This file is not a migration. `hindsight migrate` (and every service start) runs the pending
-- migrations and then this whole file in one transaction, under the migration advisory lock:
-- it drops schema `r` with everything in it and creates it again from the definitions below.
-- Changing a function is therefore an edit of this file, not a new migration (the same idea as
-- Lemmy's replaceable schema). Rules that keep that safe:
--   * nothing outside `r` may depend on `r` (no index, generated column, default, view or
--     trigger on a table refers to these functions), so the CASCADE drops only `r`'s own objects;
--   * callers always qualify the names (`r.vote(...)`), so search_path does not matter;
--   * a test (tests/api/platform.rs) checks that applying this file again, and reverting every
--     migration and migrating again, leave the same schema as a fresh migration.

DROP SCHEMA IF EXISTS r CASCADE;
CREATE SCHEMA r;

-- Lower bound of the Wilson score interval (z = 1.281551565545, 80 %); 0 without votes.
CREATE FUNCTION r.wilson(up INTEGER, down INTEGER) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN up + down = 0 THEN 0::float8 ELSE (
        (up::float8 / (up + down)) + 1.281551565545 ^ 2 / (2 * (up + down))
        - 1.281551565545 * sqrt(((up::float8 / (up + down)) * (1 - up::float8 / (up + down))
                                 + 1.281551565545 ^ 2 / (4 * (up + down))) / (up + down))
    ) / (1 + 1.281551565545 ^ 2 / (up + down)) END
$$;

-- (up + down) ^ (min / max) when both are positive, else 0.
CREATE FUNCTION r.controversy(up INTEGER, down INTEGER) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN up > 0 AND down > 0
        THEN (up + down)::float8 ^ (least(up, down)::float8 / greatest(up, down))
        ELSE 0::float8 END
$$;

-- log10(max(1, 3 + score)) / (hours since creation + 2) ^ 1.8, hours from the service's clock.
CREATE FUNCTION r.hot(score INTEGER, created_at TIMESTAMPTZ, now TIMESTAMPTZ) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT log(greatest(1, 3 + score)::float8)
         / (greatest(0, extract(epoch FROM now - created_at)::float8 / 3600) + 2) ^ 1.8
$$;

-- Bumps the caching versions of (kind, id) pairs (table resource_versions, see its migration):
-- each gets a fresh value of resource_version_seq. Rows are locked in (kind, id) order in one
-- statement, and every caller bumps once per transaction at its end, so two writes never wait
-- on each other's versions in opposite orders. NULL ids are skipped.
CREATE FUNCTION r.bump_versions(p_kinds SMALLINT[], p_ids BIGINT[])
RETURNS VOID
LANGUAGE sql AS $$
    INSERT INTO resource_versions AS v (kind, id, version)
    SELECT k, i, nextval('resource_version_seq')
      FROM (SELECT DISTINCT k, i FROM unnest(p_kinds, p_ids) AS t(k, i)
             WHERE i IS NOT NULL ORDER BY k, i) AS s
    ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version
$$;

-- A vote is one call of r.vote(): it locks the comment row, reads the voter's previous vote,
-- writes the new one and moves the comment's counters and ranks and the author's karma, all in
-- one statement and one round trip. Every vote on a comment is serialised by that row lock, so
-- counters always equal what comment_votes says. Lock order: comment, then user. The outcome
-- codes ('ok', 'not_found', 'own', 'not_live') are read by `comments::votes::VoteOutcome`.
CREATE FUNCTION r.vote(p_comment BIGINT, p_user BIGINT, p_value SMALLINT, p_now TIMESTAMPTZ)
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
           rank_best = r.wilson(c.upvotes + d_up, c.downvotes + d_down),
           rank_controversial = r.controversy(c.upvotes + d_up, c.downvotes + d_down),
           rank_hot = r.hot(c.score + d_up - d_down, c.created_at, p_now)
     WHERE c.id = p_comment;
    UPDATE users u SET karma = u.karma + d_up - d_down WHERE u.id = target.author_id;
    -- Live threads learn the new counts from the once-a-second `votes` job (events module).
    INSERT INTO vote_changes (comment_id, article_id) VALUES (p_comment, target.article_id)
    ON CONFLICT DO NOTHING;
    -- The article's pages and the author's profile (karma) change now, not at the next
    -- `votes` event: cached pages are keyed by these versions. Last, so the version rows are
    -- held only from here to commit.
    PERFORM r.bump_versions(ARRAY[1, 2]::smallint[], ARRAY[target.article_id, target.author_id]);
    RETURN QUERY SELECT 'ok'::text, target.up + d_up, target.down + d_down,
                        target.sc + d_up - d_down, p_value;
END
$$;

-- Appends events to the log and wakes every instance's listener, in the caller's transaction
-- and as its last statement. The transaction-level advisory lock (key 'hsevent' in ASCII) is
-- held until commit, so event ids are handed out in commit order: a stream that has delivered
-- id N has seen every event below N, and `Last-Event-ID` replay never skips a late commit.
-- The NOTIFY payload is the highest new id; listeners read the rows from the log.
CREATE FUNCTION r.append_events(p_kinds TEXT[], p_articles BIGINT[], p_users BIGINT[], p_payloads JSONB[])
RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    last_id BIGINT;
BEGIN
    IF coalesce(cardinality(p_kinds), 0) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(29400277193158260);
    WITH inserted AS (
        INSERT INTO events (kind, article_id, user_id, payload)
        SELECT k, a, u, p FROM unnest(p_kinds, p_articles, p_users, p_payloads) AS e(k, a, u, p)
        RETURNING id
    )
    SELECT max(id) INTO last_id FROM inserted;
    -- Caching versions (under the log's lock, so these rows add no contention of their own):
    -- every article an event names, the authors of comments that appeared or vanished (their
    -- track records count predictions), people when a resolution moved scores, and the log.
    PERFORM r.bump_versions(array_agg(k), array_agg(i)) FROM (
        SELECT 1::smallint, a FROM unnest(p_articles) AS a
        UNION ALL
        SELECT 2::smallint, c.author_id
          FROM unnest(p_kinds, p_payloads) AS e(k, p)
          JOIN comments c ON c.id = (e.p->>'comment_id')::bigint
         WHERE e.k IN ('comment_created', 'comment_deleted', 'comment_removed', 'comment_restored')
        UNION ALL
        SELECT 3::smallint, 0::bigint WHERE 'prediction_resolved' = ANY(p_kinds)
        UNION ALL
        SELECT 4::smallint, 0::bigint
    ) AS b(k, i);
    PERFORM pg_notify('hindsight_events', last_id::text);
    RETURN last_id;
END
$$;
