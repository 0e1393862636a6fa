#!/usr/bin/env bash
# Thread-page benchmark: the default page and a big page (limit=100, depth=8, replies_limit=10)
# on articles with 1,000 and 100,000 comments, at 1 and 32 concurrent clients, against the
# release build; in the same run, pgbench executes the service's own page SQL (the ceiling).
# Usage: bench/thread.sh   (DURATION=10s by default; results in bench/out/)
source "$(dirname "$0")/common.sh"
setup_tools
build_release
fresh_database

for size in 1000 100000; do
    printf -- '---\ntitle: Bench thread with %s comments\nslug: bench-%s\n---\nBenchmark article.\n' "$size" "$size" > "$OUT/bench-$size.md"
    "$BIN" import-article "$OUT/bench-$size.md" >/dev/null
    "$BENCH_BIN" seed-load --article "bench-$size" --comments "$size" --users 1000 --seed "$size"
done
psql "$DATABASE_URL" -qc "VACUUM ANALYZE"

for size in 1000 100000; do
    "$BENCH_BIN" bench-sql --article "bench-$size" > "$OUT/sql-default-$size.sql"
    "$BENCH_BIN" bench-sql --article "bench-$size" --limit 100 --depth 8 --replies-limit 10 > "$OUT/sql-big-$size.sql"
done

start_server
base="http://127.0.0.1:$BENCH_PORT/api/v1/articles"
echo "kind page comments clients req_per_s p50_ms p99_ms non2xx"
for size in 1000 100000; do
    for clients in 1 32; do
        echo "service default $size $(wrk_run "svc-default-$size" "$clients" "$base/bench-$size/comments" | cut -d' ' -f2-)"
        echo "service big $size $(wrk_run "svc-big-$size" "$clients" "$base/bench-$size/comments?limit=100&depth=8&replies_limit=10" | cut -d' ' -f2-)"
        echo "raw default $size $(pgbench_run "raw-default-$size" "$clients" "$OUT/sql-default-$size.sql" | cut -d' ' -f2-)"
        echo "raw big $size $(pgbench_run "raw-big-$size" "$clients" "$OUT/sql-big-$size.sql" | cut -d' ' -f2-)"
    done
done
