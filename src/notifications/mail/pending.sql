-- The pending notifications the mail job handles now, with how each is mailed. `mode` is the
-- reader's choice for the kind, else the kind's default ($1, a JSON object of kind → mode).
-- A row is `wanted` when it can and should be mailed: a reader with a verified address and a
-- live account, a kind not off, not read in the app meanwhile, and not older than the stale
-- cut-off $2 (the rest are cleared unmailed).
--
-- Two parts: whole digests, and everything else. A reader's digest is due when their oldest
-- waiting digest row was created at or before $3; the $5 readers due longest get all their
-- digest rows at once (a digest is never split across runs). Everything else (immediate rows
-- and rows to drop) comes oldest first, at most $4.
WITH pending AS (
    SELECT n.id, n.user_id, n.created_at,
           COALESCE(s.email, $1::jsonb ->> n.kind, 'off') AS mode,
           (u.email IS NOT NULL AND u.email_verified_at IS NOT NULL AND u.deleted_at IS NULL
            AND n.read_at IS NULL AND n.created_at >= $2) AS reachable
    FROM notifications n
    JOIN users u ON u.id = n.user_id
    LEFT JOIN notification_settings s ON s.user_id = n.user_id AND s.kind = n.kind
    WHERE n.mail_pending
),
due_readers AS (
    SELECT user_id FROM pending
    WHERE mode = 'daily' AND reachable
    GROUP BY user_id
    HAVING min(created_at) <= $3
    ORDER BY min(created_at), user_id
    LIMIT $5
),
digests AS (
    SELECT p.id, p.user_id, p.mode, true AS wanted
    FROM pending p
    WHERE p.mode = 'daily' AND p.reachable AND p.user_id IN (SELECT user_id FROM due_readers)
),
others AS (
    SELECT p.id, p.user_id, p.mode, (p.reachable AND p.mode <> 'off') AS wanted
    FROM pending p
    WHERE NOT (p.mode = 'daily' AND p.reachable)
    ORDER BY p.created_at, p.id
    LIMIT $4
)
SELECT id, user_id, mode, wanted FROM digests
UNION ALL
SELECT id, user_id, mode, wanted FROM others
ORDER BY user_id, id
