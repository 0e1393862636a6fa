-- Adds $2 live descendants to every ancestor in $1 and $2 live replies to the parent $3.
UPDATE comments SET descendant_count = descendant_count + $2,
    reply_count = reply_count + CASE WHEN id = $3 THEN $2 ELSE 0 END
WHERE id = ANY($1)
