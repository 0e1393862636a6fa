-- One batch of the hot-rank refresh at $1: comments younger than seven days whose rank moved
-- by more than 0.5 %, at most 2,000 rows, skipping rows a vote holds (it writes the rank itself).
UPDATE comments SET rank_hot = r.hot(score, created_at, $1)
WHERE id IN (
    SELECT id FROM comments
    WHERE created_at > $1 - interval '7 days'
      AND abs(rank_hot - r.hot(score, created_at, $1))
          > 0.005 * r.hot(score, created_at, $1)
    ORDER BY id LIMIT 2000 FOR UPDATE SKIP LOCKED)
