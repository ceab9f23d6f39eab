#!/usr/bin/env bash
# Search benchmark: 100,000 published articles on SQLite (a Zipf-distributed
# vocabulary of 20,000 words, as real text has), a full
# `quire reindex`, the index size, and two-word typo-tolerant queries at 1
# and 8 connections (QUERIES distinct ones, default 40,000), with the
# server's RSS after them.
#   bash bench/search.sh            ENTRIES=20000 DURATION=5s bash bench/search.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-100000}
DURATION=${DURATION:-15s}
QUERIES=${QUERIES:-40000}
PORT=${PORT:-18082}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_CONTENT_TYPES=$PWD/content-types

"$BIN" migrate
# Create the example types the way serve does, then stop.
"$BIN" serve & pid=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
python3 bench/seed_sqlite.py "$work/data/quire.db" "$ENTRIES"

echo "## quire reindex, $ENTRIES articles"
/usr/bin/time -f "reindex: %e s, peak RSS %M KiB" "$BIN" reindex 2>&1 | tail -n 2
echo "index size: $(du -sh "$work/data/search" | cut -f1)"

"$BIN" serve & pid=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
python3 bench/queries.py "$QUERIES" > "$work/queries"
export QUERIES_FILE=$work/queries
q=$(head -n1 "$work/queries" | sed 's/ /%20/')
curl -s "http://127.0.0.1:$PORT/api/search?type=articles&limit=3&q=$q" | head -c 400 || true; echo
for c in 1 8; do
  echo "## two-word queries with typos, $c connection(s)"
  wrk -t"$(( c > 1 ? 2 : 1 ))" -c"$c" -d"$DURATION" --latency -s bench/search_queries.lua "http://127.0.0.1:$PORT" \
    | grep -E 'Requests/sec|  (50|75|90|99)%|Non-2xx|Socket errors'
done
echo "server RSS after the queries: $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$pid/status")"
