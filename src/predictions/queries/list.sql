-- A page of predictions with their comments. The comment columns and joins are the comments
-- feature's (one shape for every comment read); the status filter, keyset and order are the
-- fragments of list.rs chosen by the request's enums, never text from the request.
-- $1 now, $2 article slug, $3 author username (any case), $4 page size + 1 (the look-ahead
-- row), $5 the reader's id (0 when anonymous), $6/$7 the keyset of the last row seen.
SELECT {columns}, p.created_at AS prediction_created_at, pu.id AS prediction_author_id,
       pu.username AS prediction_author_username,
       pu.display_name AS prediction_author_display_name
FROM comments c {joins} JOIN users pu ON pu.id = p.author_id
WHERE p.id IS NOT NULL AND a.deleted_at IS NULL AND ({status})
  AND ($2::text IS NULL OR a.slug = $2)
  AND ($3::text IS NULL OR (lower(pu.username) = lower($3) AND c.state = 'visible'))
  {keyset}
ORDER BY {order} LIMIT $4
