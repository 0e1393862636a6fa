-- Records one write's notifications through `r.record_notifications` (db/replaceable.sql),
-- where the rules are written down: arrays $1–$7 are the columns, one element per
-- notification; $8 is the time. Returns the id and recipient of every row written.
SELECT id, user_id FROM r.record_notifications($1::bigint[], $2::text[], $3::bigint[],
    $4::bigint[], $5::bigint[], $6::bigint[], $7::jsonb[], $8)
