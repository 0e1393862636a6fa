-- The open reports of every comment of a page of groups, in one statement, oldest first,
-- with their reporters. $1 the comment ids.
SELECT r.id, r.comment_id, r.resolution_id, r.reason, r.created_at,
       u.id AS reporter_id, u.username AS reporter_username,
       u.display_name AS reporter_display_name
FROM reports r
JOIN users u ON u.id = r.reporter_id
WHERE r.comment_id = ANY($1)
  AND r.resolution_id IS NULL
ORDER BY r.id
