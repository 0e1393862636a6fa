-- Visible comments of live articles matching the query, best first. $1 the query text
-- (websearch syntax), $2 an article slug or NULL, $3 an author's username (any case) or NULL,
-- $4 the page size + 1, $5/$6 the keyset (rank, id) of the previous page's last row or NULL,
-- $7 ts_headline's options (the highlight markers), $8 how many of the newest matches are
-- ranked (a common word matches tens of thousands of comments: ranking them all would cost a
-- query hundreds of milliseconds), $9 the search language (`search_settings`, passed in so
-- that each search is planned for its own query: run unprepared, a common word is read
-- newest first through the primary key and a rare one through the GIN index). The snippet is
-- made for the page only.
WITH matches AS (
    SELECT c.id, c.article_id, c.author_id, c.body, c.created_at, c.search
    FROM comments c
    JOIN articles a ON a.id = c.article_id AND a.deleted_at IS NULL
    WHERE c.search @@ websearch_to_tsquery($9::regconfig, $1) AND c.state = 'visible'
      AND ($2::text IS NULL OR a.slug = $2)
      AND ($3::text IS NULL
           OR c.author_id = (SELECT id FROM users WHERE lower(username) = lower($3)))
    ORDER BY c.id DESC
    LIMIT $8
),
hits AS (
    SELECT m.id, m.article_id, m.author_id, m.body, m.created_at,
           ts_rank_cd(m.search, websearch_to_tsquery($9::regconfig, $1))::float8 AS rank
    FROM matches m
),
page AS (
    SELECT * FROM hits
    WHERE $5::float8 IS NULL OR (rank, id) < ($5, $6)
    ORDER BY rank DESC, id DESC
    LIMIT $4
)
SELECT p.id, p.rank, p.created_at, a.slug AS article_slug, a.title AS article_title,
       u.id AS author_id, u.username AS author_username, u.display_name AS author_display_name,
       ts_headline($9::regconfig, p.body, websearch_to_tsquery($9::regconfig, $1), $7) AS headline
FROM page p
JOIN articles a ON a.id = p.article_id
JOIN users u ON u.id = p.author_id
ORDER BY p.rank DESC, p.id DESC
