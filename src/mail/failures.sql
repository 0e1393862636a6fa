-- A page of permanently failed mail, newest failure first, without bodies (they may hold
-- tokens). $1 page size + 1, $2/$3 the keyset (failed_at, id) of the last row seen or NULLs.
SELECT id, recipient, subject, purpose, attempts, last_error, failed_at, created_at
FROM mail_outbox
WHERE failed_at IS NOT NULL
  AND ($2::timestamptz IS NULL OR (failed_at, id) < ($2::timestamptz, $3))
ORDER BY failed_at DESC, id DESC
LIMIT $1
