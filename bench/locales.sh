#!/usr/bin/env bash
# Translations under load (release build, SQLite, QUIRE_LOCALES=en,fr):
# 10,000 published articles, every other one with a French translation that
# leaves body and summary to English. A page of 20 in the default locale and
# in fr (each entry's best translation, unset values filled from en), and
# one entry by slug in both, response cache off.
#   bash bench/locales.sh              # about 2 minutes after the build
#   ENTRIES=2000 DURATION=5s bash bench/locales.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-10000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
results=bench/results/locales-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn QUIRE_LOCALES=en,fr
export QUIRE_CONTENT_TYPES=$PWD/content-types QUIRE_SEARCH_DIR=memory
base=http://127.0.0.1:$PORT
start() {
  "$BIN" serve & pid=$!
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
say() { echo "$*" | tee -a "$results"; }
load() { # name url [wrk args…]
  local name=$1 url=$2; shift 2
  say "## $name"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" | grep -E 'Requests/sec|  (50|99)%|Non-2xx|Socket errors' | tee -a "$results"
}

say "# quire locales bench, $(date -u), $(nproc) cores, $ENTRIES articles, half with fr, $CONNECTIONS connections, $DURATION each"
start
stop
python3 bench/seed_sqlite.py "$work/data/quire.db" "$ENTRIES" >/dev/null
say "fr translations: $(python3 bench/seed_translations.py "$work/data/quire.db")"

QUIRE_PUBLIC_CACHE_MB=0 start
page="$base/api/articles?sort=-published_at&limit=20"
python3 - "$page" <<'PY'
import json, sys, urllib.request
fr = json.load(urllib.request.urlopen(sys.argv[1] + "&locale=fr"))["data"]
assert len(fr) == 20 and all(e["locale"] == "fr" and e["body"] for e in fr), "every fr item filled"
assert any(e["meta"]["fallbacks"].get("body") == "en" for e in fr), "bodies from en"
PY
say "page of 20: $(curl -sf "$page" | wc -c) bytes en, $(curl -sf "$page&locale=fr" | wc -c) bytes fr"
load "page of 20, default locale (cache off)" "$page"
load "page of 20, locale=fr with fallbacks (cache off)" "$page&locale=fr"
load "one entry by slug, default locale (cache off)" "$base/api/articles/article-0"
load "one entry by slug, locale=fr with fallbacks (cache off)" "$base/api/articles/article-0-fr?locale=fr"
stop
echo "results in $results"
