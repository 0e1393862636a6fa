#!/usr/bin/env bash
# HTTP caching benchmark (issue 19), one run, 32 clients throughout: on a 1,000-comment
# article, the anonymous default page (from the page cache), its 304 revalidation, the same page
# while 5 votes/s land on that article, the signed-in default page (cached page + overlay), all
# against pgbench running the page's own SQL ("raw"); then the big page (limit=100, depth=8,
# replies_limit=10: ~300 comments) on this build and, with BASE_BIN, on the build before the
# cache (and, always, this build with HINDSIGHT_CACHE_MB=0). RSS (VmRSS) of the server after
# each load, cache at its default size.
# Usage: [BASE_BIN=/path/to/hindsight-before] bench/cache.sh   (DURATION=10s; bench/out/)
source "$(dirname "$0")/common.sh"
export HINDSIGHT_ACCESS_TOKEN_TTL_SECS=3600
setup_tools
build_release
fresh_database

printf -- '---\ntitle: Bench cache\nslug: bench-cache\n---\nBenchmark article.\n' > "$OUT/bench-cache.md"
"$BIN" import-article "$OUT/bench-cache.md" >/dev/null
"$BENCH_BIN" seed-load --article bench-cache --comments 1000 --users 1000 --seed 1000
psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
"$BENCH_BIN" bench-sql --article bench-cache > "$OUT/sql-cache-default.sql"
"$BENCH_BIN" bench-tokens --prefix load_1000_ --count 100 > "$OUT/cache-tokens.txt"
article_id=$(psql "$DATABASE_URL" -qAt -c "SELECT id FROM articles WHERE slug = 'bench-cache'")
psql "$DATABASE_URL" -qAt -c "SELECT id FROM comments WHERE article_id = $article_id ORDER BY random() LIMIT 500" > "$OUT/cache-comments.txt"
token=$(head -1 "$OUT/cache-tokens.txt" | cut -d' ' -f2)

start_server
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
url="http://127.0.0.1:$BENCH_PORT/api/v1/articles/bench-cache/comments"
big="$url?limit=100&depth=8&replies_limit=10"
echo "big page comments: $(curl -s "$big" | python3 -c 'import json,sys
def n(c): return 1 + sum(n(r) for r in c["replies"])
print(sum(n(c) for c in json.load(sys.stdin)["items"]))')"
tag=$(curl -sI "$url" | awk -F': ' 'tolower($1)=="etag" { print $2 }' | tr -d '\r')
echo "rss idle $(rss_mb)"

# 5 votes a second on the article, by 100 users on random comments, until stopped.
votes() {
    local i=0
    mapfile -t toks < <(cut -d' ' -f2 "$OUT/cache-tokens.txt")
    mapfile -t cids < "$OUT/cache-comments.txt"
    while true; do
        local t=${toks[$((i % ${#toks[@]}))]} c=${cids[$((RANDOM % ${#cids[@]}))]} v=$(( (i % 3) - 1 ))
        curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $t" \
            -H 'Content-Type: application/json' -d "{\"value\": $v}" \
            "http://127.0.0.1:$BENCH_PORT/api/v1/comments/$c/vote" >> "$OUT/cache-votes.txt" &
        i=$((i + 1))
        sleep 0.2
    done
}

echo "kind clients req_per_s p50_ms p99_ms non2xx"
echo "anonymous $(wrk_run cache-anon 32 "$url" | cut -d' ' -f2-)"
echo "rss after anonymous $(rss_mb)"
wrk -t2 -c32 -d2s -H "If-None-Match: $tag" "$url" > /dev/null
wrk -t2 -c32 -d"$DURATION" --latency -H "If-None-Match: $tag" "$url" > "$OUT/cache-304-c32.txt"
echo "revalidation_304 32 $(python3 bench/wrk_summary.py "$OUT/cache-304-c32.txt")"
: > "$OUT/cache-votes.txt"
votes & VOTES_PID=$!
echo "anonymous_5_votes_per_s $(wrk_run cache-anon-votes 32 "$url" | cut -d' ' -f2-)"
kill $VOTES_PID; wait $VOTES_PID 2>/dev/null || true
echo "votes during that run: $(grep -c . "$OUT/cache-votes.txt") sent, $(grep -c '^200' "$OUT/cache-votes.txt") answered 200"
wrk -t2 -c32 -d2s -H "Authorization: Bearer $token" "$url" > /dev/null
wrk -t2 -c32 -d"$DURATION" --latency -H "Authorization: Bearer $token" "$url" > "$OUT/cache-signed-in-c32.txt"
echo "signed_in 32 $(python3 bench/wrk_summary.py "$OUT/cache-signed-in-c32.txt")"
echo "rss after signed-in $(rss_mb)"
echo "raw_default $(pgbench_run cache-raw-default 32 "$OUT/sql-cache-default.sql" | cut -d' ' -f2-)"
echo "big_anonymous $(wrk_run cache-big 32 "$big" | cut -d' ' -f2-)"
echo "rss after big $(rss_mb)"
kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true
HINDSIGHT_CACHE_MB=0 start_server
echo "big_anonymous_cache_off $(wrk_run cache-big-off 32 "$big" | cut -d' ' -f2-)"
if [ -n "${BASE_BIN:-}" ]; then
    kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true
    BIN=$BASE_BIN start_server
    echo "big_anonymous_before $(wrk_run cache-big-before 32 "$big" | cut -d' ' -f2-)"
fi
