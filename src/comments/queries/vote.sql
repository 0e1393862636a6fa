-- One vote ($1 comment, $2 voter, $3 value, $4 now), all of its work in the r.vote function
-- (src/db/replaceable.sql): the outcome code and the comment's counters after it.
SELECT * FROM r.vote($1, $2, $3, $4)
