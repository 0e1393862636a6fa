-- One batch of the hot-rank refresh at $1: comments younger than seven days whose rank moved
-- by more than 0.5 %, at most 2,000 rows, skipping rows a vote holds (it writes the rank itself).
-- The articles whose `hot` order moved get new caching versions (r.bump_versions) in the same
-- statement, so no cached page keeps the old order.
WITH moved AS (
    UPDATE comments SET rank_hot = r.hot(score, created_at, $1)
    WHERE id IN (
        SELECT id FROM comments
        WHERE created_at > $1 - interval '7 days'
          AND abs(rank_hot - r.hot(score, created_at, $1))
              > 0.005 * r.hot(score, created_at, $1)
        ORDER BY id LIMIT 2000 FOR UPDATE SKIP LOCKED)
    RETURNING article_id
), bumped AS (
    SELECT r.bump_versions(array_agg(1::smallint), array_agg(article_id))
      FROM (SELECT DISTINCT article_id FROM moved) AS d
)
SELECT (SELECT count(*) FROM moved) AS updated, (SELECT count(*) FROM bumped) AS bumped
