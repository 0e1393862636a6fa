-- Share-locks the comment of prediction $1 (the first lock of a forecast or a resolution, in the
-- order every writer takes them: comments, then predictions).
SELECT c.id FROM comments c
WHERE c.id = (SELECT comment_id FROM predictions WHERE id = $1) FOR SHARE
