-- The public names again, for code from before this migration: thin wrappers over `r`, which
-- stays in place (it is not owned by any migration).
CREATE FUNCTION hindsight_wilson(up INTEGER, down INTEGER) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT r.wilson(up, down) $$;
CREATE FUNCTION hindsight_controversy(up INTEGER, down INTEGER) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT r.controversy(up, down) $$;
CREATE FUNCTION hindsight_hot(score INTEGER, created_at TIMESTAMPTZ, now TIMESTAMPTZ) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT r.hot(score, created_at, now) $$;
CREATE FUNCTION hindsight_vote(p_comment BIGINT, p_user BIGINT, p_value SMALLINT, p_now TIMESTAMPTZ)
RETURNS TABLE (outcome TEXT, upvotes INTEGER, downvotes INTEGER, score INTEGER, my_vote SMALLINT)
LANGUAGE sql AS $$ SELECT * FROM r.vote(p_comment, p_user, p_value, p_now) $$;
