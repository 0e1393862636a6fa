-- The SQL functions moved to the replaceable schema `r` (src/db/replaceable.sql), which every
-- migrate run re-creates after the migrations; the public copies from the votes migration go.
DROP FUNCTION hindsight_vote(BIGINT, BIGINT, SMALLINT, TIMESTAMPTZ);
DROP FUNCTION hindsight_hot(INTEGER, TIMESTAMPTZ, TIMESTAMPTZ);
DROP FUNCTION hindsight_controversy(INTEGER, INTEGER);
DROP FUNCTION hindsight_wilson(INTEGER, INTEGER);
