#!/usr/bin/env bash
# Reads while writing: 1,000 distinct public URLs (990 articles by id and
# the first 10 pages of 20 of their list, as a site reads them) at 32 connections, first alone, then while a writer edits
# and publishes random articles of the same type 20 times a second. Reports
# each run's throughput and the response cache's hit rate over it (from
# /metrics): a write makes stale only the answers showing what it changed
# and the lists of its type.
#   bash bench/cache_writes.sh        RATE=50 DURATION=10s bash bench/cache_writes.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-10000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
RATE=${RATE:-20}
PORT=${PORT:-18083}
METRICS_PORT=${METRICS_PORT:-18084}
EMAIL=bench@example.com
PASSWORD=bench-password-123

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_METRICS_BIND=127.0.0.1:$METRICS_PORT
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types
base=http://127.0.0.1:$PORT

start() {
  "$BIN" serve & pid=$!
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
  until curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | grep '^quire_search_lag_changes 0$' >/dev/null; do sleep 0.5; done
}
counter() { curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

"$BIN" migrate
start; kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
python3 bench/seed_sqlite.py "$work/data/quire.db" "$ENTRIES" >/dev/null
python3 - "$work/data/quire.db" "$work/ids" "$work/urls" <<'PY'
import sqlite3, sys
db, ids, urls = sys.argv[1:]
rows = [r[0] for r in sqlite3.connect(db).execute(
    "SELECT entry_id FROM entries WHERE type = 'articles' ORDER BY entry_id LIMIT 990")]
open(ids, "w").write("\n".join(rows) + "\n")
paths = [f"/api/articles/{i}" for i in rows]
paths += [f"/api/articles?sort=-published_at&limit=20&offset={20 * k}" for k in range(10)]
open(urls, "w").write("\n".join(paths) + "\n")
PY
export URLS_FILE=$work/urls
start

run() { # name [writer]
  local h0 m0 h1 m1
  h0=$(counter quire_public_cache_hits_total); m0=$(counter quire_public_cache_misses_total)
  if [ "${2:-}" = writer ]; then
    secs=${DURATION%s}
    python3 bench/writer.py "$base" "$EMAIL" "$PASSWORD" "$work/ids" "$RATE" "$secs" &
    wpid=$!
  fi
  echo "## $1"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/urls.lua "$base" | grep -E 'Requests/sec|  (50|99)%|Non-2xx|Socket errors'
  [ "${2:-}" = writer ] && wait "$wpid"
  h1=$(counter quire_public_cache_hits_total); m1=$(counter quire_public_cache_misses_total)
  python3 -c "h=$h1-$h0; m=$m1-$m0; print(f'cache: {h:.0f} hits, {m:.0f} misses, hit rate {100*h/max(1,h+m):.2f} %')"
}
# Warm every URL once, then measure.
wrk -t1 -c1 -d3s -s bench/urls.lua "$base" >/dev/null
run "1,000 URLs, read only"
run "1,000 URLs while a writer publishes $RATE articles/s" writer
