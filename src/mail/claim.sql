-- The next due mail, locked for the worker's transaction; rows another instance is sending
-- are skipped, so each mail is sent by one instance. $1 now.
SELECT id, recipient, subject, text_body, html_body, list_unsubscribe, list_unsubscribe_post,
       purpose, attempts
FROM mail_outbox
WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
ORDER BY next_attempt_at, id
LIMIT 1
FOR UPDATE SKIP LOCKED
