-- A page of predictions with their comments: the selecting and ordering clause, appended to the
-- comments feature's comment-rows statement (one shape for every comment read) by list.rs,
-- which also adds the prediction author's columns and join. The status filter, keyset and
-- order are fragments chosen by the request's enums, never text from the request.
-- $1 now, $2 article slug, $3 author username (any case), $4 page size + 1 (the look-ahead
-- row), $5 the reader's id (0 when anonymous), $6/$7 the keyset of the last row seen.
WHERE p.id IS NOT NULL AND a.deleted_at IS NULL AND ({status})
  AND ($2::text IS NULL OR a.slug = $2)
  AND ($3::text IS NULL OR (lower(pu.username) = lower($3) AND c.state = 'visible'))
  {keyset}
ORDER BY {order} LIMIT $4
