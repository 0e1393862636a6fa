#!/usr/bin/env bash
# Comment creation (issue 19): 32 writers, each its own user, posting comments to one article
# as fast as they can (one in three a reply to a random seeded comment), against this build
# and, in the same run, against BASE_BIN (a release build of the code before the change), in
# alternating rounds on fresh databases seeded alike. After each round every counter
# (articles.comment_count, reply_count, descendant_count) is checked against a recount.
# Usage: BASE_BIN=/path/to/old/hindsight ROUNDS=3 DURATION=8s bench/writes.sh
source "$(dirname "$0")/common.sh"
export HINDSIGHT_ACCESS_TOKEN_TTL_SECS=3600
ROUNDS=${ROUNDS:-3}
WRITERS=${WRITERS:-32}
setup_tools
build_release
NEW_BIN=$BIN

# round LABEL BINARY: prints "LABEL comments_per_s p50_ms p99_ms non2xx created mismatches"
round() {
    local label=$1 bin=$2 pid url
    BIN=$bin fresh_database
    printf -- '---\ntitle: Write storm\nslug: writes\n---\nBenchmark article.\n' > "$OUT/writes.md"
    "$bin" import-article "$OUT/writes.md" >/dev/null
    "$BENCH_BIN" seed-load --article writes --comments 1000 --users 200 --seed 11 >/dev/null
    psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
    "$BENCH_BIN" bench-tokens --prefix load_11_ --count "$WRITERS" > "$OUT/writes-tokens.txt"
    psql "$DATABASE_URL" -qAt -c "SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id
        WHERE a.slug = 'writes' AND c.state = 'visible' ORDER BY c.id" > "$OUT/writes-parents.txt"
    local before
    before=$(psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM comments")
    HINDSIGHT_BIND=127.0.0.1:$BENCH_PORT "$bin" serve &
    pid=$!
    for _ in $(seq 1 50); do
        curl -sf "http://127.0.0.1:$BENCH_PORT/readyz" >/dev/null && break
        sleep 0.2
    done
    url="http://127.0.0.1:$BENCH_PORT"
    TOKENS="$OUT/writes-tokens.txt" PARENTS="$OUT/writes-parents.txt" SLUG=writes \
        wrk -t2 -c"$WRITERS" -d2s -s bench/comment.lua "$url" > /dev/null
    TOKENS="$OUT/writes-tokens.txt" PARENTS="$OUT/writes-parents.txt" SLUG=writes \
        wrk -t"$WRITERS" -c"$WRITERS" -d"$DURATION" --latency -s bench/comment.lua "$url" \
        > "$OUT/writes-$label.txt"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    local created bad
    created=$(psql "$DATABASE_URL" -qAt -c "SELECT count(*) - $before FROM comments")
    bad=$(psql "$DATABASE_URL" -qAt -c "
      WITH d AS (SELECT unnest(path) AS id, count(*) AS n FROM comments
                 WHERE state = 'visible' GROUP BY 1),
           r AS (SELECT parent_id AS id, count(*) AS n FROM comments
                 WHERE state = 'visible' AND parent_id IS NOT NULL GROUP BY 1),
           a AS (SELECT article_id AS id, count(*) AS n FROM comments
                 WHERE state = 'visible' GROUP BY 1)
      SELECT (SELECT count(*) FROM comments c LEFT JOIN d USING (id) LEFT JOIN r USING (id)
              WHERE c.descendant_count <> coalesce(d.n, 0) OR c.reply_count <> coalesce(r.n, 0))
           + (SELECT count(*) FROM articles x LEFT JOIN a USING (id)
              WHERE x.comment_count <> coalesce(a.n, 0))")
    echo "$label $(python3 bench/wrk_summary.py "$OUT/writes-$label.txt") $created $bad"
}

echo "build comments_per_s p50_ms p99_ms non2xx created counter_mismatches"
for i in $(seq 1 "$ROUNDS"); do
    if [ -n "${BASE_BIN:-}" ]; then
        round "base-$i" "$BASE_BIN"
    fi
    round "new-$i" "$NEW_BIN"
done
