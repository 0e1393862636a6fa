#!/usr/bin/env bash
# Search benchmark: GET /api/v1/search over 100,000 seeded comments at 1 and 8 clients, a mix
# of queries (bench/search.lua), against the release build; and, for scale, the statement of
# one common-word search run by pgbench in the same database.
# Usage: bench/search.sh   (DURATION=10s by default; results in bench/out/)
source "$(dirname "$0")/common.sh"
setup_tools
build_release
fresh_database

printf -- '---\ntitle: Search bench\nslug: search-bench\n---\nBenchmark article.\n' > "$OUT/search-bench.md"
"$BIN" import-article "$OUT/search-bench.md" >/dev/null
"$BENCH_BIN" seed-load --article search-bench --comments 100000 --users 1000 --seed 21
psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
psql "$DATABASE_URL" -Atc "SELECT 'comments matching summit: ' || count(*) FROM comments WHERE search @@ websearch_to_tsquery('english', 'summit') AND state = 'visible'"
psql "$DATABASE_URL" -Atc "SELECT 'comments matching \"supply chain\": ' || count(*) FROM comments WHERE search @@ websearch_to_tsquery('english', '\"supply chain\"') AND state = 'visible'"

# The comments statement with one common word, as pgbench runs it (the ceiling of that query).
python3 - "$OUT/sql-search-summit.sql" <<'PY'
import sys
sql = open("src/search/comments.sql").read()
sql = "\n".join(l for l in sql.splitlines() if not l.startswith("--"))
opts = "StartSel=\ue000, StopSel=\ue001, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=\" … \""
values = {1: "'summit'", 2: "NULL", 3: "NULL", 4: "21", 5: "NULL", 6: "NULL",
          7: "'" + opts + "'", 8: "1000", 9: "'english'"}
for n in sorted(values, reverse=True):
    sql = sql.replace(f"${n}", values[n])
open(sys.argv[1], "w").write(" ".join(sql.split()) + ";\n")
PY

start_server
url="http://127.0.0.1:$BENCH_PORT"
echo "kind clients req_per_s p50_ms p99_ms non2xx"
for clients in 1 8; do
    threads=$(( clients < 2 ? 1 : 2 ))
    wrk -t"$threads" -c"$clients" -d2s -s bench/search.lua "$url" > /dev/null
    wrk -t"$threads" -c"$clients" -d"$DURATION" --latency -s bench/search.lua "$url" > "$OUT/search-mix-c$clients.txt"
    echo "service-mix $clients $(python3 bench/wrk_summary.py "$OUT/search-mix-c$clients.txt")"
    echo "service-summit $(wrk_run search-summit "$clients" "$url/api/v1/search?q=summit" | cut -d' ' -f2-)"
    echo "raw-summit $(pgbench_run raw-search-summit "$clients" "$OUT/sql-search-summit.sql" | cut -d' ' -f2-)"
done
