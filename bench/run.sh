#!/usr/bin/env bash
# Load benchmark of the public read API against the release build, on SQLite
# with 10,000 published articles, beside nginx serving the same bytes.
#   bash bench/run.sh            # full run (about 5 minutes after the build)
#   ENTRIES=2000 DURATION=5s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-10000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
EMAIL=bench@example.com
PASSWORD=bench-password-123

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need nginx nginx-light

cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
results=bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types

start() { "$BIN" serve & pids+=($!); until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done; }
stop() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

say() { echo "$*" | tee -a "$results"; }
rss() { say "server RSS after the runs: $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/${pids[-1]}/status")"; }
load() { # name url [wrk args…]
  local name=$1 url=$2; shift 2
  say "## $name"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" | grep -E 'Requests/sec|Transfer/sec|  (50|99)%|Non-2xx|Socket errors' | tee -a "$results"
}

say "# quire bench, $(date -u), $(nproc) cores, $ENTRIES published articles, $CONNECTIONS connections, $DURATION each"
start
t0=$(date +%s)
python3 bench/seed.py "http://127.0.0.1:$PORT" "$EMAIL" "$PASSWORD" "$ENTRIES" "$work/ids"
say "seeded $ENTRIES articles (create + publish over HTTP) in $(( $(date +%s) - t0 )) s"
export IDS_FILE=$work/ids
page="http://127.0.0.1:$PORT/api/articles?sort=-published_at&limit=20"
curl -s "$page" > "$work/page.json"
say "page of 20: $(wc -c < "$work/page.json") bytes; database $(du -sh "$work/data" | cut -f1)"

load "entry by id, rotating over all ids (cache on)" "http://127.0.0.1:$PORT" -s bench/rotate_ids.lua
load "page of 20 sorted by -published_at (cache on)" "$page"
load "entry by id, rotating, gzip (cache on)" "http://127.0.0.1:$PORT" -s bench/rotate_ids.lua -H 'Accept-Encoding: gzip'
load "page of 20, gzip (cache on)" "$page" -H 'Accept-Encoding: gzip'
mkdir -p "$work/nginx/www"
python3 bench/mirror.py 127.0.0.1 "$PORT" "$work/ids" "$work/nginx/www"
rss
stop

QUIRE_PUBLIC_CACHE_MB=0 start
load "entry by id, rotating (cache off: SQLite on every request)" "http://127.0.0.1:$PORT" -s bench/rotate_ids.lua
load "page of 20 sorted by -published_at (cache off)" "$page"
# reading_minutes is marked "index" in content-types/articles.json.
load "page of 20 filtered on an indexed field, filter[reading_minutes][eq]=7 (cache off)" \
  "http://127.0.0.1:$PORT/api/articles?filter%5Breading_minutes%5D%5Beq%5D=7&sort=-published_at&limit=20"
rss
stop

chmod 755 "$work"  # nginx's workers run unprivileged
cp "$work/page.json" "$work/nginx/www/page.json"
# gzip_static serves these to clients that accept gzip.
find "$work/nginx/www" -type f -exec gzip -k -6 {} +
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  default_type application/json;
  gzip_static on;
  server { listen 127.0.0.1:$NGINX_PORT; root $work/nginx/www; }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
sleep 0.5
load "nginx: the same entry files, rotating" "http://127.0.0.1:$NGINX_PORT" -s bench/rotate_ids.lua
load "nginx: the same page bytes" "http://127.0.0.1:$NGINX_PORT/page.json"
load "nginx: the same entry files, rotating, gzip_static" "http://127.0.0.1:$NGINX_PORT" -s bench/rotate_ids.lua -H 'Accept-Encoding: gzip'
load "nginx: the same page, gzip_static" "http://127.0.0.1:$NGINX_PORT/page.json" -H 'Accept-Encoding: gzip'
stop

python3 bench/coldstart.py 9 "$BIN" | tee -a "$results"
echo "results in $results"
