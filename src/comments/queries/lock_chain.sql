-- Locks the comments $1 in ascending id order (the documented lock order: a comment's
-- ancestors and itself, then the article) and reads their states under the lock.
SELECT id, state FROM comments WHERE id = ANY($1) ORDER BY id FOR UPDATE
