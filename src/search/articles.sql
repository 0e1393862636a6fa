-- Live, published articles matching the query (title weighs most, then summary, then body),
-- best first. $1 query, $2 slug or NULL, $3 author's username or NULL, $4 page size + 1,
-- $5/$6 keyset or NULL, $7 ts_headline's options, $8 now (unpublished articles never match).
WITH q AS (
    SELECT websearch_to_tsquery(language, $1) AS query, language FROM search_settings
),
hits AS (
    SELECT a.id, a.slug, a.title, a.summary, a.body, a.published_at,
           ts_rank_cd(a.search, q.query)::float8 AS rank
    FROM q
    JOIN articles a ON a.search @@ q.query AND a.deleted_at IS NULL
    WHERE a.published_at <= $8
      AND ($2::text IS NULL OR a.slug = $2)
      AND ($3::text IS NULL
           OR a.author_id = (SELECT id FROM users WHERE lower(username) = lower($3)))
),
page AS (
    SELECT * FROM hits
    WHERE $5::float8 IS NULL OR (rank, id) < ($5, $6)
    ORDER BY rank DESC, id DESC
    LIMIT $4
)
SELECT p.id, p.rank, p.slug, p.title, p.summary, p.published_at,
       ts_headline(q.language, coalesce(p.summary || E'\n', '') || p.body, q.query, $7)
           AS headline
FROM page p
CROSS JOIN q
ORDER BY p.rank DESC, p.id DESC
