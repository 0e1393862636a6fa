# Shared by the bench scripts: tools, release build, a fresh database, the server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_DB=${BENCH_DB:-hindsight_bench}
BENCH_PORT=${BENCH_PORT:-18080}
ADMIN_URL=${HINDSIGHT_TEST_DATABASE_URL:-postgres://postgres@localhost:5432/postgres}
export DATABASE_URL="${ADMIN_URL%/*}/$BENCH_DB"
export RUST_LOG=${RUST_LOG:-warn}
export HINDSIGHT_RATE_LIMITS=off
# The hot-rank refresh rewrites recently seeded rows for their first hour; it is measured on
# its own (bench/RESULTS.md), not mixed into the page and vote numbers.
export HINDSIGHT_HOT_REFRESH_SECS=${HINDSIGHT_HOT_REFRESH_SECS:-0}
DURATION=${DURATION:-10s}
OUT=bench/out
mkdir -p "$OUT"

need() {
    command -v "$1" >/dev/null 2>&1 && return
    echo "installing $2" >&2
    (apt-get install -y -q "$2" >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null))
}

setup_tools() {
    need wrk wrk
    need pgbench postgresql-client
    need psql postgresql-client
}

build_release() {
    cargo build --release -q
    BIN=target/release/hindsight
    BENCH_BIN=target/release/hindsight-bench
}

fresh_database() {
    psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
    "$BIN" migrate >/dev/null
}

start_server() {
    HINDSIGHT_BIND=127.0.0.1:$BENCH_PORT "$BIN" serve &
    SERVER_PID=$!
    trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
    for _ in $(seq 1 50); do
        curl -sf "http://127.0.0.1:$BENCH_PORT/readyz" >/dev/null && return
        sleep 0.2
    done
    echo "server did not become ready" >&2
    exit 1
}

# wrk_run NAME CONNECTIONS URL: prints "name conns req/s p50_ms p99_ms" (after a 2 s warm-up
# that opens the connections and prepares the statements).
wrk_run() {
    local name=$1 conns=$2 url=$3 threads=$(( $2 < 2 ? 1 : 2 ))
    wrk -t"$threads" -c"$conns" -d2s "$url" > /dev/null
    wrk -t"$threads" -c"$conns" -d"$DURATION" --latency "$url" > "$OUT/$name-c$conns.txt"
    echo "$name $conns $(python3 bench/wrk_summary.py "$OUT/$name-c$conns.txt")"
}

# pgbench_run NAME CONNECTIONS SQLFILE: prints "name conns tps p50_ms p99_ms"
pgbench_run() {
    local name=$1 conns=$2 file=$3 dir
    dir=$(mktemp -d)
    (cd "$dir" && pgbench -n -M prepared -f "$OLDPWD/$file" -c "$conns" -j "$(( conns < 2 ? 1 : 2 ))" \
        -T "${DURATION%s}" -l "$DATABASE_URL" > "$OLDPWD/$OUT/$name-c$conns.txt" 2>&1)
    python3 - "$dir" "$name" "$conns" "$OUT/$name-c$conns.txt" <<'PY'
import glob, re, sys
lat = []
for f in glob.glob(sys.argv[1] + "/pgbench_log.*"):
    for line in open(f):
        lat.append(int(line.split()[2]) / 1000.0)
lat.sort()
tps = float(re.search(r"tps = ([\d.]+)", open(sys.argv[4]).read()).group(1))
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"{sys.argv[2]} {sys.argv[3]} {tps:.0f} {pick(0.5):.2f} {pick(0.99):.2f} 0")
PY
    rm -rf "$dir"
}
