#!/usr/bin/env bash
# quire export and quire import of ENTRIES published articles (default
# 100,000; each with its revision and change) (release build): export from
# SQLite, import into a fresh PostgreSQL database and into a fresh SQLite
# file, each timed.
#   bash bench/transfer.sh
#   ENTRIES=10000 PG=postgres://postgres@127.0.0.1:5432 bash bench/transfer.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-100000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}

cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
db=quire_bench_transfer_$$
results=bench/results/transfer-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
cleanup() {
  rm -rf "$work"
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
}
trap cleanup EXIT

export QUIRE_LOG=warn QUIRE_SEARCH_DIR=memory
mkdir -p "$work/src"
QUIRE_DATA_DIR=$work/src QUIRE_CONTENT_TYPES=$PWD/content-types "$BIN" types apply >/dev/null
python3 bench/seed_sqlite.py "$work/src/quire.db" "$ENTRIES" >/dev/null
psql -q "$PG/postgres" -c "CREATE DATABASE $db"

timed() { local t0; t0=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $t0" | bc; }

{
  echo "# quire export/import bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $ENTRIES articles"
  echo "export (SQLite): $(timed env QUIRE_DATA_DIR="$work/src" "$BIN" export "$work/dump") s"
  du -sh "$work/dump" | awk '{print "export size: " $1}'
  echo "import (PostgreSQL): $(timed env QUIRE_DATA_DIR="$work/pg" QUIRE_DATABASE_URL="$PG/$db" "$BIN" import "$work/dump") s"
  echo "import (SQLite): $(timed env QUIRE_DATA_DIR="$work/copy" "$BIN" import "$work/dump") s"
  echo "export (PostgreSQL): $(timed env QUIRE_DATA_DIR="$work/pg" QUIRE_DATABASE_URL="$PG/$db" "$BIN" export "$work/dump-pg") s"
  if diff -rq "$work/dump" "$work/dump-pg" >/dev/null; then echo "round trip: identical"; else echo "round trip: DIFFERS"; fi
} | tee "$results"
