ALTER TABLE comment_edits DROP COLUMN claim, DROP COLUMN criteria, DROP COLUMN resolves_at;
DROP TABLE mod_actions;
DROP TABLE user_calibration;
DROP TABLE user_article_scores;
DROP TABLE user_scores;
DROP TABLE forecast_scores;
DROP TABLE forecast_history;
DROP TABLE forecasts;
DROP TABLE predictions;
