-- Visible comments of live articles matching the query, best first. $1 the query text
-- (websearch syntax), $2 an article slug or NULL, $3 an author's username (any case) or NULL,
-- $4 the page size + 1, $5/$6 the keyset (rank, id) of the previous page's last row or NULL,
-- $7 ts_headline's options (the highlight markers). Ranks are computed for every match; the
-- snippet only for the page.
WITH q AS (
    SELECT websearch_to_tsquery(language, $1) AS query, language FROM search_settings
),
hits AS (
    SELECT c.id, c.article_id, c.author_id, c.body, c.created_at,
           ts_rank_cd(c.search, q.query)::float8 AS rank
    FROM q
    JOIN comments c ON c.search @@ q.query AND c.state = 'visible'
    JOIN articles a ON a.id = c.article_id AND a.deleted_at IS NULL
    WHERE ($2::text IS NULL OR a.slug = $2)
      AND ($3::text IS NULL
           OR c.author_id = (SELECT id FROM users WHERE lower(username) = lower($3)))
),
page AS (
    SELECT * FROM hits
    WHERE $5::float8 IS NULL OR (rank, id) < ($5, $6)
    ORDER BY rank DESC, id DESC
    LIMIT $4
)
SELECT p.id, p.rank, p.created_at, a.slug AS article_slug, a.title AS article_title,
       u.id AS author_id, u.username AS author_username, u.display_name AS author_display_name,
       ts_headline(q.language, p.body, q.query, $7) AS headline
FROM page p
CROSS JOIN q
JOIN articles a ON a.id = p.article_id
JOIN users u ON u.id = p.author_id
ORDER BY p.rank DESC, p.id DESC
