#!/usr/bin/env bash
# Soak: 30 minutes of mixed reads, writes, searches and uploads at a fixed
# rate against the release build on SQLite, watching errors, p99, resident
# memory, file descriptors and database connections minute by minute.
#   bash bench/soak.sh                      # 30 minutes at 100 req/s
#   SECONDS_TOTAL=300 RATE=200 bash bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TOTAL=${SECONDS_TOTAL:-1800}
RATE=${RATE:-100}
PORT=${PORT:-18100}
METRICS_PORT=${METRICS_PORT:-18101}
EMAIL=bench@example.com
PASSWORD=bench-password-123

cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_METRICS_BIND=127.0.0.1:$METRICS_PORT
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types
"$BIN" serve & pid=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done

mkdir -p bench/results
python3 bench/soak.py "http://127.0.0.1:$PORT" "http://127.0.0.1:$METRICS_PORT" "$pid" \
  "$EMAIL" "$PASSWORD" "$SECONDS_TOTAL" "$RATE" | tee "bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ).txt"
