#!/usr/bin/env bash
# Resident memory of the release server under the loads that used to grow it: idle, after the
# thread-page load (default and big pages of a 1,000-comment thread, 32 clients), after 1,000
# logins at 32 concurrent (each an argon2 hash of 19 MiB), and after the vote storm (32 clients
# on one hot comment). RSS is VmRSS of the server process, read after each load settles.
# Usage: bench/memory.sh   (DURATION=10s by default; BIN=path to measure another build)
source "$(dirname "$0")/common.sh"
export HINDSIGHT_ACCESS_TOKEN_TTL_SECS=3600
setup_tools
if [ -z "${BIN:-}" ]; then build_release; fi
# The seeding helpers come from this checkout whichever server build is measured.
if [ -z "${BENCH_BIN:-}" ]; then cargo build --release -q --bin hindsight-bench; BENCH_BIN=target/release/hindsight-bench; fi
fresh_database

printf -- '---\ntitle: Memory bench\nslug: memory\n---\nBenchmark article.\n' > "$OUT/memory.md"
"$BIN" import-article "$OUT/memory.md" >/dev/null
"$BENCH_BIN" seed-load --article memory --comments 1000 --users 1000 --seed 11 >/dev/null
psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
article_id=$(psql "$DATABASE_URL" -qAt -c "SELECT id FROM articles WHERE slug = 'memory'")
psql "$DATABASE_URL" -qAt -c "INSERT INTO users (username, created_at) VALUES ('memory_author', now())" >/dev/null
author_id=$(psql "$DATABASE_URL" -qAt -c "SELECT id FROM users WHERE username = 'memory_author'")
psql "$DATABASE_URL" -qAt -c "INSERT INTO comments (article_id, author_id, path, depth, body, body_html, created_at) VALUES ($article_id, $author_id, '{}', 0, 'hot', '<p>hot</p>', now()) RETURNING id" | head -1 > "$OUT/memory-hot.txt"
"$BENCH_BIN" bench-tokens --prefix load_11_ --count 1000 > "$OUT/memory-tokens.txt"

start_server
url="http://127.0.0.1:$BENCH_PORT"
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
settle() { sleep 3; }

echo "point rss_mb"
settle
echo "idle $(rss_mb)"

wrk -t2 -c32 -d"$DURATION" "$url/api/v1/articles/memory/comments" > "$OUT/memory-default.txt"
wrk -t2 -c32 -d"$DURATION" "$url/api/v1/articles/memory/comments?limit=100&depth=8&replies_limit=10" > "$OUT/memory-big.txt"
settle
echo "after_thread_pages $(rss_mb)"

started=$(date +%s%N)
seq 0 999 | xargs -P 32 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
    -H 'content-type: application/json' \
    -d '{"login":"load_11_{}","password":"load-test-password-not-for-login"}' \
    "$url/api/v1/auth/login" > "$OUT/memory-logins.txt"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
ok=$(grep -c '^200$' "$OUT/memory-logins.txt" || true)
settle
echo "after_1000_logins $(rss_mb) (${ok} x 200 in ${elapsed_ms} ms)"

TOKENS="$OUT/memory-tokens.txt" COMMENTS="$OUT/memory-hot.txt" MODE=hot THREADS=32 \
    wrk -t32 -c32 -d"$DURATION" --latency -s bench/vote.lua "$url" > "$OUT/memory-votes.txt"
settle
echo "after_vote_storm $(rss_mb)"
