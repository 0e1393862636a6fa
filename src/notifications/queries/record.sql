-- Inserts the notifications of one write, in its transaction, for the recipients who want
-- them: never to the actor, never to a deleted account, never of a kind the recipient switched
-- off, and no `reply` to a recipient who muted the replied-to comment or an ancestor of it (the
-- reply's `path` lists them). `candidates` is what passes those filters; of them, a `mention`
-- is dropped only when a `reply` to the same recipient about the same comment is written too,
-- so a person is told of a comment once, and an explicit @mention is never lost because the
-- reply it gave way to was filtered out (muted subtree, replies switched off). Arrays $1–$7
-- are the columns, one element per notification; $8 is the time. A row for a reader with a
-- verified address is marked `mail_pending` for the notification mail job, which decides by
-- their settings whether and when it is mailed. Returns the id and recipient of every row
-- written.
WITH candidates AS (
    SELECT n.*
    FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[],
                $6::bigint[], $7::jsonb[]) WITH ORDINALITY
         AS n(user_id, kind, actor_id, article_id, comment_id, prediction_id, data, position)
    WHERE n.user_id IS DISTINCT FROM n.actor_id
      AND EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id AND u.deleted_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM notification_settings s
                      WHERE s.user_id = n.user_id AND s.kind = n.kind AND NOT s.in_app)
      AND NOT (n.kind = 'reply' AND EXISTS (
              SELECT 1 FROM comments c JOIN comment_mutes m ON m.comment_id = ANY (c.path)
              WHERE c.id = n.comment_id AND m.user_id = n.user_id))
)
INSERT INTO notifications (user_id, kind, actor_id, article_id, comment_id, prediction_id, data,
                           created_at, mail_pending)
SELECT n.user_id, n.kind, n.actor_id, n.article_id, n.comment_id, n.prediction_id, n.data, $8,
       EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id AND u.email_verified_at IS NOT NULL)
FROM candidates n
WHERE NOT (n.kind = 'mention' AND EXISTS (
          SELECT 1 FROM candidates r
          WHERE r.kind = 'reply' AND r.user_id = n.user_id AND r.comment_id = n.comment_id))
ORDER BY n.position
RETURNING id, user_id
