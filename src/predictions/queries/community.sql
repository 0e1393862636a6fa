-- The community median (0–1) and the number of current forecasts of prediction $1.
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY percent / 100.0) AS median,
       count(*) AS forecasters
FROM forecasts WHERE prediction_id = $1
