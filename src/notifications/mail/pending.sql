-- The pending notifications the mail job handles now, with how each is mailed and to whom.
-- `mode` is the reader's choice for the kind, else the kind's default ($1, a JSON object of
-- kind → mode). `wanted` is false for what must be dropped unmailed: a reader without a
-- verified address or a live account, a kind now off, a notification older than the stale
-- cut-off $2. Due are: every notification not waiting for a digest, and every notification of
-- a reader whose oldest waiting digest item was created at or before $3 (the whole digest goes
-- at once). $4 bounds the batch; a reader's digest is never split across batches in practice
-- because rows come ordered by reader.
WITH pending AS (
    SELECT n.id, n.user_id, n.created_at,
           COALESCE(s.email, $1::jsonb ->> n.kind, 'off') AS mode,
           (u.email IS NOT NULL AND u.email_verified_at IS NOT NULL AND u.deleted_at IS NULL
            AND n.created_at >= $2) AS reachable
    FROM notifications n
    JOIN users u ON u.id = n.user_id
    LEFT JOIN notification_settings s ON s.user_id = n.user_id AND s.kind = n.kind
    WHERE n.mail_pending
),
due_digests AS (
    SELECT user_id FROM pending
    WHERE mode = 'daily' AND reachable
    GROUP BY user_id
    HAVING min(created_at) <= $3
)
SELECT p.id, p.user_id, p.mode, (p.reachable AND p.mode <> 'off') AS wanted
FROM pending p
WHERE p.mode <> 'daily' OR NOT p.reachable
   OR p.user_id IN (SELECT user_id FROM due_digests)
ORDER BY p.user_id, p.id
LIMIT $4
