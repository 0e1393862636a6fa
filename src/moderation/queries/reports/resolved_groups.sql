-- A page of resolved report groups, newest resolution first, with who resolved them.
-- $1 page size + 1 (the look-ahead row); $2/$3 the keyset (resolved_at, id) of the last
-- resolution seen, or NULLs for the first page.
SELECT r.id, r.comment_id, r.action, r.reason, r.resolved_at,
       u.id AS resolver_id, u.username AS resolver_username,
       u.display_name AS resolver_display_name
FROM report_resolutions r
JOIN users u ON u.id = r.resolved_by
WHERE ($2::timestamptz IS NULL OR (r.resolved_at, r.id) < ($2::timestamptz, $3::int8))
ORDER BY r.resolved_at DESC, r.id DESC
LIMIT $1
