-- Whom a resolution of prediction $1 notifies, each once, with their Brier score for it (NULL
-- when unscored: a void outcome, a forecast made after the close, a predictor who never
-- forecast): the predictor and every forecaster. Read after scoring, in the same transaction.
SELECT r.user_id, s.brier
FROM (SELECT author_id AS user_id FROM predictions WHERE id = $1
      UNION
      SELECT user_id FROM forecasts WHERE prediction_id = $1) r
LEFT JOIN forecast_scores s ON s.prediction_id = $1 AND s.user_id = r.user_id
ORDER BY r.user_id
