-- Scores every forecaster's last forecast of prediction $1 made by $3 (the closing time) against
-- the outcome ($2: came true), with the community's Brier from the median of those forecasts;
-- $4 is the time of scoring.
WITH scored AS (
    SELECT f.user_id, f.article_id, f.percent FROM forecasts f
    WHERE f.prediction_id = $1 AND f.updated_at <= $3
), outcome AS (SELECT CASE WHEN $2 THEN 1.0 ELSE 0.0 END AS o),
crowd AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY percent / 100.0) AS median FROM scored
)
INSERT INTO forecast_scores (prediction_id, user_id, article_id, percent, outcome_yes,
                             brier, community_brier, relative_brier, scored_at)
SELECT $1, s.user_id, s.article_id, s.percent, $2,
       (s.percent / 100.0 - outcome.o) ^ 2, (crowd.median - outcome.o) ^ 2,
       (s.percent / 100.0 - outcome.o) ^ 2 - (crowd.median - outcome.o) ^ 2, $4
FROM scored s, outcome, crowd
