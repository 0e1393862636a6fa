#!/usr/bin/env bash
# First render of the comment widget on a 300-comment thread (default page, and all of it), in Chromium: navigation start
# to the widget's `hindsight:rendered` mark, median of RUNS cold contexts (release build,
# rate limits off). Needs chromium and the e2e packages (installed like e2e/run.sh does).
# Usage: bash bench/widget.sh   (RUNS=15 by default)
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-15}
[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium > /dev/null; }
(cd e2e && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error)
build_release
fresh_database
printf -- '---\ntitle: Bench widget thread\nslug: bench-widget\n---\nBenchmark article.\n' > "$OUT/bench-widget.md"
"$BIN" import-article "$OUT/bench-widget.md" > /dev/null
"$BENCH_BIN" seed-load --article bench-widget --comments 300 --users 50 --seed 300
start_server
# The default first page (20 top-level comments, 4 levels, 5 replies each), then the whole
# thread at once (100 top-level comments per page, 10 levels).
{
    node bench/widget-render.mjs "http://127.0.0.1:$BENCH_PORT" bench-widget "$RUNS"
    node bench/widget-render.mjs "http://127.0.0.1:$BENCH_PORT" bench-widget "$RUNS" '?limit=100&depth=10'
} | tee "$OUT/widget-render.txt"
