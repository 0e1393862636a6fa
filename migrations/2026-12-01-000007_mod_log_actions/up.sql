-- The moderation log stores its actions under a constraint that names every one the code knows
-- (`Action` in src/moderation/log/mod.rs; a unit test checks that this list matches it).
ALTER TABLE mod_actions ADD CONSTRAINT mod_actions_action_check CHECK (action IN (
    'remove_comment', 'restore_comment', 'lock_article', 'unlock_article', 'pin_comment',
    'unpin_comment', 'ban_user', 'unban_user', 'resolve_reports', 'change_role',
    'resolve_prediction'
));
