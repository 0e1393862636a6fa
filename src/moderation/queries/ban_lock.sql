-- The exclusive side of a user's ban lock, held until the transaction ends (a ban takes it
-- before anything else). $1 the lock class (`ban` in ASCII), $2 the user id.
SELECT pg_advisory_xact_lock($1, ($2 % 2147483648)::int4)
