-- A page of a reader's notifications, newest first (after items.sql): $1 reader, $2 only
-- unread, $3 page size + 1, $4 the last id seen.
WHERE n.user_id = $1
  AND (NOT $2 OR n.read_at IS NULL)
  AND ($4::bigint IS NULL OR n.id < $4)
ORDER BY n.id DESC
LIMIT $3
