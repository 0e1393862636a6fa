#!/usr/bin/env bash
# Live threads (issue 16): STREAMS Server-Sent-Events streams on one article of one instance,
# while 20 comments/s and 200 votes/s are written through the API; then the same writes with
# no stream open. Prints RSS per open stream, the CPU of idle streams, the delivery latency of
# every comment_created to every stream, and the writes' latency and server CPU in both
# phases (their ratio is the cost of fanning the log out). Client: `hindsight-bench live`.
# Usage: bench/live.sh   (STREAMS=2000 SECONDS_PER_PHASE=30 IDLE_SECONDS=30 by default)
source "$(dirname "$0")/common.sh"
export HINDSIGHT_ACCESS_TOKEN_TTL_SECS=3600
STREAMS=${STREAMS:-2000}
SECONDS_PER_PHASE=${SECONDS_PER_PHASE:-30}
IDLE_SECONDS=${IDLE_SECONDS:-30}
# Every stream comes from 127.0.0.1: lift the per-IP limit on open streams for this run.
export HINDSIGHT_STREAMS_PER_IP=$(( STREAMS + 100 ))
# Each stream is a socket on both sides: raise the soft limit on open files to the hard one.
ulimit -n "$(ulimit -Hn)"
setup_tools
build_release
fresh_database

printf -- '---\ntitle: Live thread\nslug: live\n---\nBenchmark article.\n' > "$OUT/live.md"
"$BIN" import-article "$OUT/live.md" >/dev/null
"$BENCH_BIN" seed-load --article live --comments 1000 --users 1000 --seed 16 >/dev/null
# Vote targets written by someone who is not among the voters.
psql "$DATABASE_URL" -qAt -c "INSERT INTO users (username, created_at) VALUES ('live_author', now())" >/dev/null
psql "$DATABASE_URL" -qAt -c "
  INSERT INTO comments (article_id, author_id, path, depth, body, body_html, created_at)
  SELECT a.id, u.id, '{}', 0, 'target ' || g, '<p>target ' || g || '</p>', now()
    FROM articles a, users u, generate_series(1, 50) g
   WHERE a.slug = 'live' AND u.username = 'live_author'
  RETURNING id" | grep -E '^[0-9]+$' > "$OUT/live-targets.txt"
psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
"$BENCH_BIN" bench-tokens --prefix load_16_ --count 1000 > "$OUT/live-tokens.txt"

start_server
"$BENCH_BIN" live --addr "127.0.0.1:$BENCH_PORT" --article live --streams "$STREAMS" \
    --seconds "$SECONDS_PER_PHASE" --idle-seconds "$IDLE_SECONDS" \
    --tokens "$OUT/live-tokens.txt" --vote-targets "$OUT/live-targets.txt" \
    --server-pid "$SERVER_PID" | tee "$OUT/live.txt"
events=$(psql "$DATABASE_URL" -qAt -c "SELECT kind || ' ' || count(*) FROM events GROUP BY kind ORDER BY kind" | tr '\n' ' ')
echo "events_in_log $events"

# BASE_BIN=path: the same writes (no streams) against another build, e.g. the commit before the
# event log (`git worktree add /tmp/base e1baadb && cargo build --release` there), so that the
# log's own cost is a ratio too. It migrates nothing new and re-applies its own SQL functions.
if [ -n "${BASE_BIN:-}" ]; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
    BIN=$BASE_BIN start_server
    "$BENCH_BIN" live --addr "127.0.0.1:$BENCH_PORT" --article live --streams 0 --writes-only \
        --seconds "$SECONDS_PER_PHASE" --tokens "$OUT/live-tokens.txt" \
        --vote-targets "$OUT/live-targets.txt" --server-pid "$SERVER_PID" | sed 's/^writes_only/base_build/' | tee -a "$OUT/live.txt"
fi
