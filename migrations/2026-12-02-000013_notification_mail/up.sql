-- Notification mail (issue 17). Each kind of notification is mailed off, at once or in a
-- daily digest, per reader: `email` NULL means the kind's default (notifications/mail/domain.rs).
-- `in_app` NULL likewise means the default (on), so a PATCH that names one channel leaves
-- the other as it was.
ALTER TABLE notification_settings
    ALTER COLUMN in_app DROP NOT NULL,
    ADD COLUMN email TEXT
        CONSTRAINT notification_settings_email_check CHECK (email IN ('off', 'immediate', 'daily'));

-- A notification that may still be mailed: set when it is written to a reader with a verified
-- address, cleared by the mail job once it mailed it, put it in a digest, or found its kind's
-- mail off; the retention job clears what is older than two days (mail switched off, or no
-- SMTP configured), so the pending set stays small.
ALTER TABLE notifications ADD COLUMN mail_pending BOOLEAN NOT NULL DEFAULT false;

CREATE INDEX notifications_mail_pending_idx ON notifications (user_id, id) WHERE mail_pending;
