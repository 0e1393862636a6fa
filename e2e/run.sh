#!/usr/bin/env bash
# End-to-end tests of the comment widget in a real browser (Debian's Chromium, driven by
# playwright-core through node:test), against the binary `cargo test` built, on a fresh
# database with the demo data. Screenshots of the demo page go to target/e2e-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${HINDSIGHT_BIN:-target/debug/hindsight}
PORT=${E2E_PORT:-18300}
ADMIN_URL=${HINDSIGHT_TEST_DATABASE_URL:-postgres://postgres@localhost:5432/postgres}
export DATABASE_URL="${ADMIN_URL%/*}/hindsight_e2e"
export RUST_LOG=${RUST_LOG:-warn} HINDSIGHT_RATE_LIMITS=off HINDSIGHT_HOT_REFRESH_SECS=0
export HINDSIGHT_STREAM_POLL_MS=1000
# specs/embedding.test.js serves a host page on HOST_PORT (listed) and HOST_PORT + 1 (not).
HOST_PORT=${E2E_HOST_PORT:-18301}
export HINDSIGHT_E2E_HOST_PORT=$HOST_PORT HINDSIGHT_EMBED_ORIGINS="http://127.0.0.1:$HOST_PORT"

if [ ! -x /usr/bin/chromium ]; then
    echo "installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
[ -x "$BIN" ] || cargo build -q
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)

psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS hindsight_e2e WITH (FORCE)"
# README's first command: seed the demo data, then serve.
HINDSIGHT_BIND=127.0.0.1:$PORT "$BIN" serve --demo > /dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null && break; sleep 0.2; done

# A second instance on the same database with rate limits on and 20-second access tokens,
# for specs/limits.test.js (problems of a limit in the form; the token refreshed in time).
HINDSIGHT_BIND=127.0.0.1:$((PORT + 10)) HINDSIGHT_RATE_LIMITS=on HINDSIGHT_ACCESS_TOKEN_TTL_SECS=20 \
    HINDSIGHT_RATE_LIMIT_COMMENTS=1/min HINDSIGHT_RATE_LIMIT_NEW_ACCOUNT_COMMENTS=1/min \
    "$BIN" serve &
strict=$!
trap 'kill $server $strict 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + 10))/readyz" > /dev/null && break; sleep 0.2; done

export HINDSIGHT_E2E_BASE="http://127.0.0.1:$PORT"
export HINDSIGHT_E2E_STRICT_BASE="http://127.0.0.1:$((PORT + 10))"
(cd e2e && node --test --test-concurrency=1 --test-reporter=spec specs/)
echo "screenshots: $(ls target/e2e-screenshots/*.png | tr '\n' ' ')"
