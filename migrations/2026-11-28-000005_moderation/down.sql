DROP INDEX mod_actions_target_idx;
DROP INDEX mod_actions_article_idx;
DROP TABLE reports;
DROP TABLE report_resolutions;
DROP INDEX comments_reported_idx;
DROP INDEX comments_not_live_idx;
DROP INDEX comments_pinned_idx;
ALTER TABLE comments DROP COLUMN removal_reason, DROP COLUMN removed_at, DROP COLUMN pinned_at, DROP COLUMN open_report_count;
ALTER TABLE users DROP COLUMN banned_at, DROP COLUMN banned_until, DROP COLUMN ban_reason;
