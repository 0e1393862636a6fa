ALTER TABLE mod_actions DROP CONSTRAINT mod_actions_action_check;
