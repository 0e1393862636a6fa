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

-- Inserts the notifications of one write, in its transaction, for the recipients who want
-- them: never to the actor, never to a deleted account, never of a kind the recipient switched
-- off, and no `reply` to a recipient who muted the replied-to comment or an ancestor of it (the
-- reply's `path` lists them). `candidates` is what passes those filters; of them, a `mention`
-- is dropped only when a `reply` to the same recipient about the same comment is written too,
-- so a person is told of a comment once, and an explicit @mention is never lost because the
-- reply it gave way to was filtered out (muted subtree, replies switched off). The arrays are
-- the columns, one element per notification. A row for a reader with a
-- verified address is marked `mail_pending` for the notification mail job, which decides by
-- their settings whether and when it is mailed. Returns the id and recipient of every row
-- written. `notifications::record` and `r.create_comment` both call it: the rules live here.
CREATE FUNCTION r.record_notifications(p_users BIGINT[], p_kinds TEXT[], p_actors BIGINT[],
    p_articles BIGINT[], p_comments BIGINT[], p_predictions BIGINT[], p_data JSONB[],
    p_now TIMESTAMPTZ)
RETURNS TABLE (id BIGINT, user_id BIGINT)
LANGUAGE sql AS $$
WITH candidates AS (
    SELECT n.*
    FROM unnest(p_users, p_kinds, p_actors, p_articles, p_comments,
                p_predictions, p_data) WITH ORDINALITY
         AS n(user_id, kind, actor_id, article_id, comment_id, prediction_id, data, position)
    WHERE n.user_id IS DISTINCT FROM n.actor_id
      AND EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id AND u.deleted_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM notification_settings s
                      WHERE s.user_id = n.user_id AND s.kind = n.kind AND NOT s.in_app)
      AND NOT (n.kind = 'reply' AND EXISTS (
              SELECT 1 FROM comments c JOIN comment_mutes m ON m.comment_id = ANY (c.path)
              WHERE c.id = n.comment_id AND m.user_id = n.user_id))
)
INSERT INTO notifications (user_id, kind, actor_id, article_id, comment_id, prediction_id, data,
                           created_at, mail_pending)
SELECT n.user_id, n.kind, n.actor_id, n.article_id, n.comment_id, n.prediction_id, n.data, p_now,
       EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id AND u.email_verified_at IS NOT NULL)
FROM candidates n
WHERE NOT (n.kind = 'mention' AND EXISTS (
          SELECT 1 FROM candidates r
          WHERE r.kind = 'reply' AND r.user_id = n.user_id AND r.comment_id = n.comment_id))
ORDER BY n.position
RETURNING notifications.id, notifications.user_id
$$;
-- Creates a comment without a prediction in one statement (issue 19: one round trip instead of
-- eight to twelve): what `comments::write::create_comment` does in its transaction, in the same
-- order and with the same locks. The shared side of the author's ban lock (class p_ban_class,
-- see moderation/queries/ban_lock_shared.sql), the article by slug, the parent (same live
-- article), the thread lock, the ban, the parent's chain locked in id order and live, the
-- article row locked (comments before the article, the documented lock order), the insert,
-- the counters, the reply and mention notifications (`r.record_notifications`; p_mentioned is
-- already without the author and capped, as `notifications::for_new_comment` makes it) and
-- the events, appended last. A refusal changes nothing and is an outcome code read by
-- `comments::write::fast::Outcome`: 'ok', 'article_not_found', 'parent_not_found', 'locked'
-- (reason: the lock reason), 'banned' (reason, banned_until), 'parent_not_live'.
CREATE FUNCTION r.create_comment(p_slug TEXT, p_parent BIGINT, p_author BIGINT, p_body TEXT,
    p_html TEXT, p_now TIMESTAMPTZ, p_rank_hot DOUBLE PRECISION, p_mentioned BIGINT[],
    p_ban_class INTEGER)
RETURNS TABLE (outcome TEXT, comment_id BIGINT, reason TEXT, banned_until TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
    art RECORD;
    parent RECORD;
    ban RECORD;
    chain BIGINT[] := '{}';
    parent_state TEXT;
    new_id BIGINT;
    n_users BIGINT[];
    n_kinds TEXT[];
    n_count INTEGER;
    told RECORD;
    e_kinds TEXT[];
    e_articles BIGINT[];
    e_users BIGINT[];
    e_payloads JSONB[];
BEGIN
    PERFORM pg_advisory_xact_lock_shared(p_ban_class, (p_author % 2147483648)::int4);
    SELECT a.id, a.locked, a.lock_reason INTO art
      FROM articles a WHERE a.slug = p_slug AND a.deleted_at IS NULL;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'article_not_found'::text, NULL::bigint, NULL::text, NULL::timestamptz;
        RETURN;
    END IF;
    IF p_parent IS NOT NULL THEN
        SELECT c.id, c.author_id, c.path INTO parent
          FROM comments c WHERE c.id = p_parent AND c.article_id = art.id;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'parent_not_found'::text, NULL::bigint, NULL::text, NULL::timestamptz;
            RETURN;
        END IF;
        chain := parent.path || parent.id;
    END IF;
    IF art.locked THEN
        RETURN QUERY SELECT 'locked'::text, NULL::bigint, art.lock_reason, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT u.banned_at, u.banned_until AS until, u.ban_reason INTO ban
      FROM users u WHERE u.id = p_author;
    IF ban.banned_at IS NOT NULL AND (ban.until IS NULL OR ban.until > p_now) THEN
        RETURN QUERY SELECT 'banned'::text, NULL::bigint, ban.ban_reason, ban.until;
        RETURN;
    END IF;
    IF p_parent IS NOT NULL THEN
        PERFORM c.id FROM comments c WHERE c.id = ANY (chain) ORDER BY c.id FOR UPDATE;
        SELECT c.state INTO parent_state FROM comments c WHERE c.id = p_parent;
        IF parent_state IS DISTINCT FROM 'visible' THEN
            RETURN QUERY SELECT 'parent_not_live'::text, NULL::bigint, NULL::text, NULL::timestamptz;
            RETURN;
        END IF;
    END IF;
    SELECT a.locked, a.lock_reason INTO art.locked, art.lock_reason
      FROM articles a WHERE a.id = art.id FOR NO KEY UPDATE;
    IF art.locked THEN
        RETURN QUERY SELECT 'locked'::text, NULL::bigint, art.lock_reason, NULL::timestamptz;
        RETURN;
    END IF;
    INSERT INTO comments (article_id, parent_id, path, depth, author_id, body, body_html,
                          created_at, rank_hot)
    VALUES (art.id, p_parent, chain, cardinality(chain), p_author, p_body, p_html, p_now,
            p_rank_hot)
    RETURNING id INTO new_id;
    IF p_parent IS NOT NULL THEN
        UPDATE comments SET descendant_count = descendant_count + 1,
            reply_count = reply_count + CASE WHEN id = p_parent THEN 1 ELSE 0 END
        WHERE id = ANY (chain);
    END IF;
    UPDATE articles SET comment_count = comment_count + 1 WHERE id = art.id;
    n_users := coalesce(p_mentioned, '{}');
    n_kinds := array_fill('mention'::text, ARRAY[cardinality(n_users)]);
    IF p_parent IS NOT NULL THEN
        n_users := parent.author_id || n_users;
        n_kinds := 'reply'::text || n_kinds;
    END IF;
    n_count := cardinality(n_users);
    e_kinds := ARRAY['comment_created'];
    e_articles := ARRAY[art.id];
    e_users := ARRAY[NULL::bigint];
    e_payloads := ARRAY[jsonb_build_object('comment_id', new_id)];
    IF n_count > 0 THEN
        FOR told IN
            SELECT t.id, t.user_id FROM r.record_notifications(
                n_users, n_kinds, array_fill(p_author, ARRAY[n_count]),
                array_fill(art.id, ARRAY[n_count]), array_fill(new_id, ARRAY[n_count]),
                array_fill(NULL::bigint, ARRAY[n_count]),
                array_fill('{}'::jsonb, ARRAY[n_count]), p_now) AS t
        LOOP
            e_kinds := e_kinds || 'notification'::text;
            e_articles := e_articles || NULL::bigint;
            e_users := e_users || told.user_id;
            e_payloads := e_payloads || jsonb_build_object('notification_id', told.id);
        END LOOP;
    END IF;
    PERFORM r.append_events(e_kinds, e_articles, e_users, e_payloads);
    RETURN QUERY SELECT 'ok'::text, new_id, NULL::text, NULL::timestamptz;
END
$$;

-- A forecast in one statement (issue 19; it was ten round trips): what
-- `predictions::service::forecasts` did in its transaction, in the same order and with the same
-- locks. The comment share-locked, then the prediction (comments, then predictions: the order
-- every writer takes them); its state read by a statement that starts once both locks are held
-- (a plpgsql statement takes a new snapshot), so it sees every removal and forecast committed
-- before them (predictions/queries/locked_state.sql); the checks of
-- `predictions::domain::check_forecastable`; the user's current forecast replaced, the stored
-- median and count refreshed (predictions/queries/community.sql), the history row, and the
-- `forecasts` event appended last. Outcome codes read by `predictions::queries::forecast_once`:
-- 'ok' (with the comment's id), 'not_found', 'hidden', 'closed'.
CREATE FUNCTION r.forecast(p_prediction BIGINT, p_user BIGINT, p_percent SMALLINT,
    p_now TIMESTAMPTZ)
RETURNS TABLE (outcome TEXT, comment_id BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    st RECORD;
    med DOUBLE PRECISION;
    n BIGINT;
BEGIN
    PERFORM c.id FROM comments c
     WHERE c.id = (SELECT pr.comment_id FROM predictions pr WHERE pr.id = p_prediction)
       FOR SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    PERFORM pr.id FROM predictions pr WHERE pr.id = p_prediction FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    SELECT pr.article_id, pr.comment_id AS comment, (c.state = 'visible') AS visible,
           pr.resolves_at, pr.outcome AS resolved
      INTO st
      FROM predictions pr JOIN comments c ON c.id = pr.comment_id
      JOIN articles a ON a.id = pr.article_id
     WHERE pr.id = p_prediction AND a.deleted_at IS NULL;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    IF NOT st.visible THEN
        RETURN QUERY SELECT 'hidden'::text, NULL::bigint;
        RETURN;
    END IF;
    IF st.resolved IS NOT NULL OR p_now >= st.resolves_at THEN
        RETURN QUERY SELECT 'closed'::text, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO forecasts AS f (prediction_id, user_id, article_id, percent, created_at, updated_at)
    VALUES (p_prediction, p_user, st.article_id, p_percent, p_now, p_now)
    ON CONFLICT (prediction_id, user_id) DO UPDATE SET percent = EXCLUDED.percent,
        updated_at = EXCLUDED.updated_at;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f.percent / 100.0), count(*)
      INTO med, n
      FROM forecasts f WHERE f.prediction_id = p_prediction;
    med := coalesce(med, p_percent::float8 / 100);
    UPDATE predictions SET forecaster_count = n, community_probability = med
     WHERE id = p_prediction;
    INSERT INTO forecast_history (prediction_id, user_id, article_id, percent,
                                  community_probability, forecasters, made_at)
    VALUES (p_prediction, p_user, st.article_id, p_percent, med, n, p_now);
    PERFORM r.append_events(ARRAY['forecasts'], ARRAY[st.article_id], ARRAY[NULL::bigint],
                            ARRAY[jsonb_build_object('prediction_id', p_prediction)]);
    RETURN QUERY SELECT 'ok'::text, st.comment;
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
