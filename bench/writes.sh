#!/usr/bin/env bash
# Writes (release build): create + publish through the admin API at 8
# connections (bench/create_publish.lua), on SQLite and, when
# QUIRE_BENCH_POSTGRES_URL names a server, on a fresh PostgreSQL database.
# Entries/s counts the live entries at the end over the run's length.
#   bash bench/writes.sh            DURATION=5s bash bench/writes.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-18084}
EMAIL=bench@example.com
PASSWORD=bench-password-123

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types
base=http://127.0.0.1:$PORT

run() { # name
  "$BIN" serve & pid=$!
  until curl -sf "$base/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "quire exited before it was ready" >&2; exit 1; }
    sleep 0.05
  done
  local token
  token=$(curl -sf "$base/admin/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  echo "## $1: create + publish, $CONNECTIONS connections, $DURATION"
  local out
  out=$(TOKEN=$token wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/create_publish.lua "$base")
  echo "$out" | grep -E 'Requests/sec|  (50|99)%|Non-2xx|Socket errors'
  local live secs
  live=$(curl -sf "$base/api/articles?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])')
  secs=$(echo "$out" | awk '/requests in/{sub(/s,/, "", $4); print $4}')
  echo "live entries: $live → $(python3 -c "print(round($live / $secs))") entries/s"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

QUIRE_DATA_DIR=$work/sqlite run sqlite
if [ -n "${QUIRE_BENCH_POSTGRES_URL:-}" ]; then
  db=quire_bench_writes_$$
  psql "$QUIRE_BENCH_POSTGRES_URL" -qc "CREATE DATABASE $db" >/dev/null
  base_url=${QUIRE_BENCH_POSTGRES_URL%/*}
  QUIRE_DATA_DIR=$work/pg QUIRE_DATABASE_URL=$base_url/$db run postgres
  psql "$QUIRE_BENCH_POSTGRES_URL" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi
