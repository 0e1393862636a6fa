-- A page of the moderation log, newest first, with the names the entries show.
-- $1 article slug, $2 target username (any case), $3 action (each NULL for no filter),
-- $4 page size + 1 (the look-ahead row), $5/$6 the keyset (created_at, id) of the last row
-- seen, or NULLs for the first page.
SELECT m.id, m.action, m.moderator_id, mu.username AS moderator_username,
       mu.display_name AS moderator_display_name, a.slug AS article_slug, a.title AS article_title,
       m.comment_id, m.prediction_id, m.target_user_id AS target_id, tu.username AS target_username,
       tu.display_name AS target_display_name, m.reason, m.expires_at, m.created_at
FROM mod_actions m
LEFT JOIN users mu ON mu.id = m.moderator_id
LEFT JOIN users tu ON tu.id = m.target_user_id
LEFT JOIN articles a ON a.id = m.article_id
WHERE ($1::text IS NULL OR a.slug = $1)
  AND ($2::text IS NULL OR lower(tu.username) = lower($2))
  AND ($3::text IS NULL OR m.action = $3)
  AND ($5::timestamptz IS NULL OR (m.created_at, m.id) < ($5::timestamptz, $6))
ORDER BY m.created_at DESC, m.id DESC
LIMIT $4
