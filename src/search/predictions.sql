-- Predictions whose comment is visible in a live article, matching the query on their claim
-- (and criteria), best first. $1 query, $2 slug or NULL, $3 author's username or NULL, $4 page
-- size + 1, $5/$6 keyset or NULL, $7 ts_headline's options, $8 'open', 'resolved' or NULL,
-- $9 how many of the newest matches are ranked, $10 the search language (see comments.sql).
WITH matches AS (
    SELECT p.id, p.comment_id, p.article_id, p.author_id, p.claim, p.resolves_at, p.outcome,
           p.forecaster_count, p.community_probability, p.search
    FROM predictions p
    JOIN comments c ON c.id = p.comment_id AND c.state = 'visible'
    JOIN articles a ON a.id = p.article_id AND a.deleted_at IS NULL
    WHERE p.search @@ websearch_to_tsquery($10::regconfig, $1)
      AND ($2::text IS NULL OR a.slug = $2)
      AND ($3::text IS NULL
           OR p.author_id = (SELECT id FROM users WHERE lower(username) = lower($3)))
      AND ($8::text IS NULL
           OR ($8 = 'open' AND p.outcome IS NULL)
           OR ($8 = 'resolved' AND p.outcome IS NOT NULL))
    ORDER BY p.id DESC
    LIMIT $9
),
hits AS (
    SELECT m.id, m.comment_id, m.article_id, m.author_id, m.claim, m.resolves_at, m.outcome,
           m.forecaster_count, m.community_probability,
           ts_rank_cd(m.search, websearch_to_tsquery($10::regconfig, $1))::float8 AS rank
    FROM matches m
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
       ts_headline($10::regconfig, p.claim, websearch_to_tsquery($10::regconfig, $1), $7) AS headline
FROM page p
JOIN articles a ON a.id = p.article_id
JOIN users u ON u.id = p.author_id
ORDER BY p.rank DESC, p.id DESC
