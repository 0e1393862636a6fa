-- The ids of one tree page, in generation order (each level after the one above, siblings in
-- sort order). The braced names are filled from fixed fragments per (scope, sort, cursor) in
-- reads.rs; every value is a parameter:
-- $1 article or parent id, $2 top-level limit, $3 depth, $4 replies per comment, $5 page cap,
-- $6/$7 the cursor's key (text, cast by the sort) and id.
-- The LATERAL top-k per parent runs over the (parent_id, sort key, id) indexes and the outer
-- LIMIT cuts the recursion at the page cap (PostgreSQL evaluates a recursive CTE only as far as
-- it is read, level by level), so a page's cost does not grow with the size of the thread.
-- `extra` marks the look-ahead top-level row that says another page follows.
WITH RECURSIVE top AS (
    {pinned}
    (SELECT c.id, 1 AS grp, row_number() OVER (ORDER BY {order}) AS rn
       FROM comments c
      WHERE {scope} AND {listed} {keyset}
      ORDER BY {order} LIMIT $2 + 1)
), tree(id, level, extra) AS (
    SELECT id, 1, grp = 1 AND rn > $2 FROM top
    UNION ALL
    SELECT ch.id, t.level + 1, false
      FROM tree t
     CROSS JOIN LATERAL (
        SELECT c.id FROM comments c
         WHERE c.parent_id = t.id AND {listed}
         ORDER BY {order} LIMIT $4
     ) ch
     WHERE t.level < $3 AND NOT t.extra
), picked AS (
    SELECT id, level, extra, row_number() OVER () AS ord FROM tree LIMIT $5 + 1
)
SELECT picked.id, picked.level, picked.extra FROM picked ORDER BY picked.ord
