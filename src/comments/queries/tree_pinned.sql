-- The first page of an article starts with its pinned top-level comments, earliest pinned
-- first (they are left out of the sorted part); spliced into tree_page.sql by reads.rs.
(SELECT c.id, 0 AS grp, row_number() OVER (ORDER BY c.pinned_at, c.id) AS rn
   FROM comments c
  WHERE c.article_id = $1 AND c.parent_id IS NULL AND c.pinned_at IS NOT NULL AND {listed}
  ORDER BY c.pinned_at, c.id) UNION ALL
