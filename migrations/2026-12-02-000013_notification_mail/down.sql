DROP INDEX notifications_mail_pending_idx;
ALTER TABLE notifications DROP COLUMN mail_pending;
UPDATE notification_settings SET in_app = true WHERE in_app IS NULL;
DELETE FROM notification_settings WHERE email IS NOT NULL AND in_app;
ALTER TABLE notification_settings
    DROP COLUMN email,
    ALTER COLUMN in_app SET NOT NULL;
