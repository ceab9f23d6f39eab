#!/usr/bin/env bash
# Storage (release build, SQLite): 10,000 articles each saved twice and
# published once through the admin API, then the file's size against the
# JSON it holds, split by table and index.
#   bash bench/storage.sh            ENTRIES=2000 bash bench/storage.sh
#   KEEP_DB=/tmp/s.db bash bench/storage.sh   (keeps the database for a look)
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-10000}
PORT=${PORT:-18083}
EMAIL=bench@example.com
PASSWORD=bench-password-123

cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types

"$BIN" serve & pid=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
start=$(date +%s.%N)
python3 bench/storage.py write "http://127.0.0.1:$PORT" "$EMAIL" "$PASSWORD" "$ENTRIES"
echo "wrote $ENTRIES × (create, edit, publish) in $(echo "$(date +%s.%N) - $start" | bc) s"
# Stopping checkpoints the write-ahead log into the file.
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
python3 bench/storage.py report "$work/data/quire.db"
if [ -n "${KEEP_DB:-}" ]; then cp "$work/data/quire.db" "$KEEP_DB"; fi
