#!/usr/bin/env bash
# Prediction views benchmark: 2,000 users, 10,000 resolved predictions, 200,000 scored
# forecasts; the leaderboard (global and per tag) and a track record at 8 clients; and the
# time of resolving, through the API, an open prediction with 1,000 forecasts.
# Usage: bench/predictions.sh   (DURATION=10s by default; results in bench/out/)
source "$(dirname "$0")/common.sh"
export HINDSIGHT_ACCESS_TOKEN_TTL_SECS=3600
setup_tools
build_release
fresh_database

seeded=$("$BENCH_BIN" seed-predictions --users 2000 --predictions 10000 --forecasts 200000 --seed 3)
echo "$seeded"
open_id=$(echo "$seeded" | sed -E 's/.*: ([0-9]+)$/\1/')
psql "$DATABASE_URL" -qc "VACUUM ANALYZE" -c "CHECKPOINT"
"$BIN" set-role load_3_1999 moderator >/dev/null
mod_token=$("$BENCH_BIN" bench-tokens --prefix load_3_1999 --count 1 | cut -d' ' -f2)
someone=$(psql "$DATABASE_URL" -qAt -c "SELECT u.username FROM user_scores s JOIN users u ON u.id = s.user_id ORDER BY s.scored_forecasts DESC LIMIT 1")

start_server
base="http://127.0.0.1:$BENCH_PORT/api/v1"
echo "kind endpoint clients req_per_s p50_ms p99_ms non2xx"
echo "service leaderboard-global $(wrk_run leaderboard-global 8 "$base/leaderboard" | cut -d' ' -f2-)"
echo "service leaderboard-tag $(wrk_run leaderboard-tag 8 "$base/leaderboard?tag=korea" | cut -d' ' -f2-)"
echo "service track-record $(wrk_run track-record 8 "$base/users/$someone/track-record" | cut -d' ' -f2-)"
for attempt in 1 2 3; do
    curl -s -o "$OUT/resolve-$attempt.json" -w "resolve-1000-forecasts attempt $attempt: %{http_code} in %{time_total} s\n" \
        -X POST -H "Authorization: Bearer $mod_token" -H 'Content-Type: application/json' \
        -d "{\"outcome\": \"yes\", \"note\": \"benchmark re-resolution $attempt\"}" \
        "$base/predictions/$open_id/resolution"
    # Re-resolving needs an admin; make the resolver one after the first resolution.
    "$BIN" set-role load_3_1999 admin >/dev/null
done
scored=$(psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM forecast_scores WHERE prediction_id = $open_id")
echo "check scored forecasts of the resolved prediction: $scored"
