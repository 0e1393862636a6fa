-- A page of open report groups: comments with open reports on live articles, most reported
-- first (an index scan on comments_reported_idx, the stored count).
-- $1 page size + 1 (the look-ahead row); $2/$3 the keyset (open_report_count, id) of the last
-- group seen, or NULLs for the first page.
SELECT c.id AS comment_id, c.open_report_count AS report_count
FROM comments c
JOIN articles a ON a.id = c.article_id
WHERE a.deleted_at IS NULL
  AND c.open_report_count > 0
  AND ($2::int4 IS NULL OR (c.open_report_count, c.id) < ($2::int4, $3::int8))
ORDER BY c.open_report_count DESC, c.id DESC
LIMIT $1
