-- Live, published articles matching the query (title weighs most, then summary, then body),
-- best first. $1 query, $2 slug or NULL, $3 author's username or NULL, $4 page size + 1,
-- $5/$6 keyset or NULL, $7 ts_headline's options, $8 now (unpublished articles never match),
-- $9 how many of the newest matches are ranked, $10 the search language (see comments.sql).
WITH matches AS (
    SELECT a.id, a.slug, a.title, a.summary, a.body, a.published_at, a.search
    FROM articles a
    WHERE a.search @@ websearch_to_tsquery($10::regconfig, $1) AND a.deleted_at IS NULL
      AND a.published_at <= $8
      AND ($2::text IS NULL OR a.slug = $2)
      AND ($3::text IS NULL
           OR a.author_id = (SELECT id FROM users WHERE lower(username) = lower($3)))
    ORDER BY a.id DESC
    LIMIT $9
),
hits AS (
    SELECT m.id, m.slug, m.title, m.summary, m.body, m.published_at,
           ts_rank_cd(m.search, websearch_to_tsquery($10::regconfig, $1))::float8 AS rank
    FROM matches m
),
page AS (
    SELECT * FROM hits
    WHERE $5::float8 IS NULL OR (rank, id) < ($5, $6)
    ORDER BY rank DESC, id DESC
    LIMIT $4
)
SELECT p.id, p.rank, p.slug, p.title, p.summary, p.published_at,
       ts_headline($10::regconfig, coalesce(p.summary || E'\n', '') || p.body, websearch_to_tsquery($10::regconfig, $1), $7)
           AS headline
FROM page p
ORDER BY p.rank DESC, p.id DESC
