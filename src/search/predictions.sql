-- Predictions whose comment is visible in a live article, matching the query on their claim
-- (and criteria), best first. $1 query, $2 slug or NULL, $3 author's username or NULL, $4 page
-- size + 1, $5/$6 keyset or NULL, $7 ts_headline's options, $8 'open', 'resolved' or NULL.
WITH q AS (
    SELECT websearch_to_tsquery(language, $1) AS query, language FROM search_settings
),
hits AS (
    SELECT p.id, p.comment_id, p.article_id, p.author_id, p.claim, p.resolves_at, p.outcome,
           p.forecaster_count, p.community_probability,
           ts_rank_cd(p.search, q.query)::float8 AS rank
    FROM q
    JOIN predictions p ON p.search @@ q.query
    JOIN comments c ON c.id = p.comment_id AND c.state = 'visible'
    JOIN articles a ON a.id = p.article_id AND a.deleted_at IS NULL
    WHERE ($2::text IS NULL OR a.slug = $2)
      AND ($3::text IS NULL
           OR p.author_id = (SELECT id FROM users WHERE lower(username) = lower($3)))
      AND ($8::text IS NULL
           OR ($8 = 'open' AND p.outcome IS NULL)
           OR ($8 = 'resolved' AND p.outcome IS NOT NULL))
),
page AS (
    SELECT * FROM hits
    WHERE $5::float8 IS NULL OR (rank, id) < ($5, $6)
    ORDER BY rank DESC, id DESC
    LIMIT $4
)
SELECT p.id, p.rank, p.comment_id, p.claim, p.resolves_at, p.outcome, p.forecaster_count,
       p.community_probability, a.slug AS article_slug, a.title AS article_title,
       u.id AS author_id, u.username AS author_username, u.display_name AS author_display_name,
       ts_headline(q.language, p.claim, q.query, $7) AS headline
FROM page p
CROSS JOIN q
JOIN articles a ON a.id = p.article_id
JOIN users u ON u.id = p.author_id
ORDER BY p.rank DESC, p.id DESC
