-- What a forecast or a resolution of prediction $1 needs, read by a statement that starts once
-- both locks are held (so it sees every removal and forecast committed before them); no row when
-- the article is deleted.
SELECT p.id, p.article_id, p.author_id, p.comment_id, (c.state = 'visible') AS comment_visible,
       p.resolves_at, p.outcome, p.closed_at,
       (SELECT count(*) FROM forecasts f
         WHERE f.prediction_id = p.id AND f.user_id <> p.author_id) AS other_forecasters
FROM predictions p JOIN comments c ON c.id = p.comment_id
JOIN articles a ON a.id = p.article_id
WHERE p.id = $1 AND a.deleted_at IS NULL
