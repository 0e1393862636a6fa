-- Marks every prediction whose deadline passed unresolved and was not yet announced, and
-- returns what its notices need. $1 is now (the service clock). Rows another run holds are
-- skipped (a later run takes them). A prediction whose comment is no longer visible is marked
-- too, and `live` says not to announce it (nor one of a deleted article).
UPDATE predictions p SET deadline_notified_at = $1
FROM comments c
WHERE p.id IN (SELECT id FROM predictions
               WHERE outcome IS NULL AND deadline_notified_at IS NULL AND resolves_at <= $1
               ORDER BY resolves_at, id
               LIMIT 500
               FOR UPDATE SKIP LOCKED)
  AND c.id = p.comment_id
RETURNING p.id, p.article_id, p.comment_id, p.author_id,
          c.state = 'visible' AND EXISTS (SELECT 1 FROM articles a
                                            WHERE a.id = p.article_id AND a.deleted_at IS NULL) AS live
