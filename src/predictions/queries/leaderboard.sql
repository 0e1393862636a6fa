-- A page of the leaderboard: forecasters by mean Brier (ties: more scored forecasts, then
-- username), from the stored totals, over one of three scopes: everything (user_scores), one
-- article ($7), or one tag ($3, the sum of the per-article totals of live articles). Each
-- scope's branch is gated on its parameters alone, so PostgreSQL skips the other two at
-- execution time even on the generic plan.
-- $1 minimum scored forecasts, $2 page size + 1 (the look-ahead row), $3 tag, $4/$5/$6 the
-- keyset (mean Brier, -scored, username) of the last row seen or NULLs, $7 article id.
SELECT * FROM (
    SELECT u.id AS user_id, u.username, u.display_name, s.scored,
           s.brier_sum / s.scored AS mean_brier, s.relative_brier_sum / s.scored AS mean_relative
    FROM (
        SELECT user_id, scored_forecasts::bigint AS scored, brier_sum, relative_brier_sum
        FROM user_scores
        WHERE $7::bigint IS NULL AND $3::text IS NULL
        UNION ALL
        SELECT user_id, scored_forecasts::bigint AS scored, brier_sum, relative_brier_sum
        FROM user_article_scores
        WHERE $7::bigint IS NOT NULL AND article_id = $7
        UNION ALL
        SELECT s.user_id, sum(s.scored_forecasts)::bigint AS scored, sum(s.brier_sum) AS brier_sum,
               sum(s.relative_brier_sum) AS relative_brier_sum
        FROM user_article_scores s JOIN articles a ON a.id = s.article_id
        WHERE $7::bigint IS NULL AND $3::text IS NOT NULL
          AND a.deleted_at IS NULL AND a.tags @> ARRAY[$3::text]
        GROUP BY s.user_id
    ) s JOIN users u ON u.id = s.user_id
    WHERE s.scored >= $1 AND u.deleted_at IS NULL
) t
WHERE $4::float8 IS NULL
   OR (t.mean_brier, -t.scored, t.username) > ($4::float8, $5::bigint, $6::text)
ORDER BY t.mean_brier ASC, t.scored DESC, t.username ASC
LIMIT $2
