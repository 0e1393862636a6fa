-- Notifications with what a frontend shows of each: the actor (null once they deleted their
-- account: the kept `deleted-<id>` row is a placeholder, not a person), the article (live ones
-- only), the comment's text only while the comment is visible (snippets are cut in Rust from at
-- most 2,000 characters), the prediction's claim only while its comment is visible. Followed by
-- the WHERE of the reader's page (list.sql) or of a live stream's batch (queries/mod.rs).
SELECT n.id, n.kind, n.created_at, n.read_at, n.data::text AS data,
       au.id AS actor_id, au.username AS actor_username, au.display_name AS actor_display_name,
       a.id AS article_id, a.slug AS article_slug, a.title AS article_title,
       n.comment_id,
       CASE WHEN c.state = 'visible' AND a.id IS NOT NULL THEN left(c.body, 2000) END
           AS comment_text,
       n.prediction_id,
       CASE WHEN pc.state = 'visible' AND a.id IS NOT NULL THEN p.claim END AS prediction_claim
FROM notifications n
LEFT JOIN users au ON au.id = n.actor_id AND au.deleted_at IS NULL
LEFT JOIN articles a ON a.id = n.article_id AND a.deleted_at IS NULL
LEFT JOIN comments c ON c.id = n.comment_id
LEFT JOIN predictions p ON p.id = n.prediction_id
LEFT JOIN comments pc ON pc.id = p.comment_id
