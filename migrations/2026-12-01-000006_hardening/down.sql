-- Erased text cannot come back; only the table goes.
DROP TABLE retained_bans;
