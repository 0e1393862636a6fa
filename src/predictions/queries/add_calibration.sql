-- Adds ($2 = 1) or takes back ($2 = -1) the stored scores of prediction $1 in the calibration
-- buckets ([i/10, (i+1)/10)), in user-id order.
INSERT INTO user_calibration (user_id, bucket, forecasts, probability_sum, came_true)
SELECT user_id, least(percent / 10, 9), $2, $2 * percent / 100.0, $2 * outcome_yes::int
FROM forecast_scores WHERE prediction_id = $1 ORDER BY user_id
ON CONFLICT (user_id, bucket) DO UPDATE SET
  forecasts = user_calibration.forecasts + EXCLUDED.forecasts,
  probability_sum = user_calibration.probability_sum + EXCLUDED.probability_sum,
  came_true = user_calibration.came_true + EXCLUDED.came_true
