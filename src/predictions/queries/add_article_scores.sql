-- Adds ($2 = 1) or takes back ($2 = -1) the stored scores of prediction $1 in the per-(user,
-- article) totals, in user-id order.
INSERT INTO user_article_scores (user_id, article_id, scored_forecasts, brier_sum, relative_brier_sum)
SELECT user_id, article_id, $2, $2 * brier, $2 * relative_brier FROM forecast_scores
WHERE prediction_id = $1 ORDER BY user_id
ON CONFLICT (user_id, article_id) DO UPDATE SET
  scored_forecasts = user_article_scores.scored_forecasts + EXCLUDED.scored_forecasts,
  brier_sum = user_article_scores.brier_sum + EXCLUDED.brier_sum,
  relative_brier_sum = user_article_scores.relative_brier_sum + EXCLUDED.relative_brier_sum
