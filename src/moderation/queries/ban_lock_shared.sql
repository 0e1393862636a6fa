-- The shared side of a user's ban lock, held until the transaction ends (a new comment takes
-- it before any row lock). $1 the lock class (`ban` in ASCII), $2 the user id.
SELECT pg_advisory_xact_lock_shared($1, ($2 % 2147483648)::int4)
