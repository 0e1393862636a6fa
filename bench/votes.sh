#!/usr/bin/env bash
# Vote storm: (1) 32 clients, each a distinct user, cycling +1/-1/0 on one hot comment;
# (2) the same spread over 100,000 comments by 1,000 users. In the same run, pgbench measures
# the minimal raw work (upsert + counter update in one transaction) and the service's own vote
# SQL. Afterwards every counter is checked against a recount.
# Usage: bench/votes.sh   (DURATION=10s by default; results in bench/out/)
source "$(dirname "$0")/common.sh"
export HINDSIGHT_ACCESS_TOKEN_TTL_SECS=3600
setup_tools
build_release
fresh_database

printf -- '---\ntitle: Vote storm\nslug: votes\n---\nBenchmark article.\n' > "$OUT/votes.md"
"$BIN" import-article "$OUT/votes.md" >/dev/null
"$BENCH_BIN" seed-load --article votes --comments 100000 --users 1000 --seed 7
psql "$DATABASE_URL" -qc "VACUUM ANALYZE"

# The hot comment is written by someone who is not among the voters.
psql "$DATABASE_URL" -qAt -c "INSERT INTO users (username, created_at) VALUES ('bench_author', now())" >/dev/null
article_id=$(psql "$DATABASE_URL" -qAt -c "SELECT id FROM articles WHERE slug = 'votes'")
author_id=$(psql "$DATABASE_URL" -qAt -c "SELECT id FROM users WHERE username = 'bench_author'")
hot=$(psql "$DATABASE_URL" -qAt -c "INSERT INTO comments (article_id, author_id, path, depth, body, body_html, created_at) VALUES ($article_id, $author_id, '{}', 0, 'hot', '<p>hot</p>', now()) RETURNING id" | head -1)
echo "$hot" > "$OUT/hot-comment.txt"
psql "$DATABASE_URL" -qAt -c "SELECT id FROM comments WHERE article_id = $article_id AND id <> $hot ORDER BY id" > "$OUT/all-comments.txt"
"$BENCH_BIN" bench-tokens --prefix load_7_ --count 1000 > "$OUT/tokens.txt"
first_user=$(head -1 "$OUT/tokens.txt" | cut -d' ' -f1)

start_server
url="http://127.0.0.1:$BENCH_PORT"
echo "kind scenario clients votes_per_s p50_ms p99_ms non2xx"
TOKENS="$OUT/tokens.txt" COMMENTS="$OUT/hot-comment.txt" MODE=hot THREADS=32 \
    wrk -t32 -c32 -d"$DURATION" --latency -s bench/vote.lua "$url" > "$OUT/svc-vote-hot-c32.txt"
echo "service hot 32 $(python3 bench/wrk_summary.py "$OUT/svc-vote-hot-c32.txt")"
TOKENS="$OUT/tokens.txt" COMMENTS="$OUT/all-comments.txt" MODE=spread THREADS=32 \
    wrk -t32 -c32 -d"$DURATION" --latency -s bench/vote.lua "$url" > "$OUT/svc-vote-spread-c32.txt"
echo "service spread 32 $(python3 bench/wrk_summary.py "$OUT/svc-vote-spread-c32.txt")"

min_id=$(head -1 "$OUT/all-comments.txt"); max_id=$(tail -1 "$OUT/all-comments.txt")
cat > "$OUT/raw-hot.sql" <<SQL
\set uid $first_user + :client_id
\set v random(0, 1) * 2 - 1
BEGIN;
INSERT INTO comment_votes (comment_id, user_id, article_id, value, created_at, updated_at)
  VALUES ($hot, :uid, $article_id, :v, now(), now())
  ON CONFLICT (comment_id, user_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now();
UPDATE comments SET upvotes = upvotes + 1, score = score + 1 WHERE id = $hot;
END;
SQL
cat > "$OUT/raw-spread.sql" <<SQL
\set uid random($first_user, $first_user + 999)
\set cid random($min_id, $max_id)
\set v random(0, 1) * 2 - 1
BEGIN;
INSERT INTO comment_votes (comment_id, user_id, article_id, value, created_at, updated_at)
  VALUES (:cid, :uid, $article_id, :v, now(), now())
  ON CONFLICT (comment_id, user_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now();
UPDATE comments SET upvotes = upvotes + 1, score = score + 1 WHERE id = :cid;
END;
SQL
cat > "$OUT/fn-hot.sql" <<SQL
\set uid $first_user + :client_id
\set v random(-1, 1)
SELECT * FROM r.vote($hot, :uid, :v, now());
SQL
cat > "$OUT/fn-spread.sql" <<SQL
\set uid random($first_user, $first_user + 999)
\set cid random($min_id, $max_id)
\set v random(-1, 1)
SELECT * FROM r.vote(:cid, :uid, :v, now());
SQL

# Check exactness of what the service did before the raw scripts (which skip counters) run.
bad=$(psql "$DATABASE_URL" -qAt -c "
  SELECT count(*) FROM comments c WHERE
     c.upvotes <> (SELECT count(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.value = 1)
  OR c.downvotes <> (SELECT count(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.value = -1)
  OR c.score <> c.upvotes - c.downvotes")
bad_karma=$(psql "$DATABASE_URL" -qAt -c "
  SELECT count(*) FROM users u WHERE u.karma <> (SELECT coalesce(sum(score), 0) FROM comments c WHERE c.author_id = u.id)")
votes=$(psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM comment_votes")
echo "check service-counters-vs-recount mismatched_comments=$bad mismatched_karma=$bad_karma stored_votes=$votes"

echo "service-sql hot 32 $(pgbench_run fn-hot 32 "$OUT/fn-hot.sql" | cut -d' ' -f3-)"
echo "service-sql spread 32 $(pgbench_run fn-spread 32 "$OUT/fn-spread.sql" | cut -d' ' -f3-)"
echo "raw-minimal hot 32 $(pgbench_run raw-hot 32 "$OUT/raw-hot.sql" | cut -d' ' -f3-)"
echo "raw-minimal spread 32 $(pgbench_run raw-spread 32 "$OUT/raw-spread.sql" | cut -d' ' -f3-)"
