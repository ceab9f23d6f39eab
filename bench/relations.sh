#!/usr/bin/env bash
# Relations under load (release build, SQLite): 10,000 published articles,
# each with an author and 3 tags; a page of 20 with and without
# `populate=author,tags`, response cache off and on; and one entry relating
# 60 articles with `populate=related`, cache off, one connection (latency).
# With the cache on, the two pages are loaded in turn ROUNDS times, as they
# come (identity) and gzipped, beside nginx serving the same bytes.
#   bash bench/relations.sh            # about 9 minutes after the build
#   ENTRIES=2000 DURATION=5s ROUNDS=1 bash bench/relations.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-10000}
RELATED=${RELATED:-60}
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-3}
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
results=bench/results/relations-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types
base=http://127.0.0.1:$PORT

METRICS_PORT=${METRICS_PORT:-18082}
export QUIRE_METRICS_BIND=127.0.0.1:$METRICS_PORT
# Ready, and the search index has caught up with the seeded rows (indexing
# them in the background would load the machine during a measurement).
start() {
  "$BIN" serve & pids+=($!)
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
  until curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | grep '^quire_search_lag_changes 0$' >/dev/null; do sleep 0.5; done
}
stop() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }
say() { echo "$*" | tee -a "$results"; }
load() { # name url [wrk args…]
  local name=$1 url=$2; shift 2
  say "## $name"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" | grep -E 'Requests/sec|  (50|99)%|Non-2xx|Socket errors' | tee -a "$results"
}
rate() { # url [wrk args…]: requests/s
  local url=$1; shift
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "$@" "$url" | awk '/Requests\/sec/ { print $2 }'
}
pairs() { # name plain-url populated-url [wrk args…]: ROUNDS alternated runs of the two
  local name=$1 a=$2 b=$3; shift 3
  say "## $name: plain / populated req/s, ratio (alternated, $ROUNDS rounds)"
  for _ in $(seq "$ROUNDS"); do
    local x y
    x=$(rate "$a" "$@"); y=$(rate "$b" "$@")
    say "$x / $y  $(python3 -c "print(f'{$y / $x:.3f}')")"
  done
}

say "# quire relations bench, $(date -u), $(nproc) cores, $ENTRIES articles × (1 author + 3 tags), $CONNECTIONS connections, $DURATION each"
# The first start migrates and applies content-types/; the hub type comes
# through the admin API.
start
token=$(curl -sf "$base/admin/api/auth/login" -H 'content-type: application/json' \
  -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -o /dev/null "$base/admin/api/content-types" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"api_id": "hubs", "name": "Hub", "fields": [{"name": "title", "type": "string"}, {"name": "slug", "type": "slug", "from": "title"},
       {"name": "related", "type": "relation", "to": "articles", "multiple": true}]}'
stop
hub=$(python3 bench/seed_relations.py "$work/data/quire.db" "$ENTRIES" "$RELATED")

plain="$base/api/articles?sort=-published_at&limit=20"
populated="$base/api/articles?sort=-published_at&limit=20&populate=author,tags"
hub_url="$base/api/hubs/$hub?populate=related"

QUIRE_PUBLIC_CACHE_MB=0 start
mkdir -p "$work/nginx/www"
curl -sf "$plain" > "$work/nginx/www/plain.json"
curl -sf "$populated" > "$work/populated.json"
cp "$work/populated.json" "$work/nginx/www/populated.json"
say "page of 20: $(curl -sf "$plain" | wc -c) bytes plain, $(wc -c < "$work/populated.json") populated; hub with $RELATED related: $(curl -sf "$hub_url" | wc -c) bytes"
python3 - "$work/populated.json" <<'PY'
import json, sys
page = json.load(open(sys.argv[1]))["data"]
assert len(page) == 20 and all(isinstance(a["author"], dict) and len(a["tags"]) == 3 for a in page), "populated"
PY
load "page of 20 (cache off)" "$plain"
load "page of 20, populate=author,tags (cache off)" "$populated"
say "## the same entry without populate (cache off, 1 connection)"
wrk -t1 -c1 -d"$DURATION" --latency "$base/api/hubs/$hub" | grep -E 'Requests/sec|  (50|99)%|Non-2xx' | tee -a "$results"
say "## entry relating $RELATED articles, populate=related (cache off, 1 connection)"
wrk -t1 -c1 -d"$DURATION" --latency "$hub_url" | grep -E 'Requests/sec|  (50|99)%|Non-2xx' | tee -a "$results"
stop

start
gz=(-H 'Accept-Encoding: gzip')
say "gzip: $(curl -sf "${gz[@]}" "$plain" | wc -c) bytes plain, $(curl -sf "${gz[@]}" "$populated" | wc -c) populated"
pairs "page of 20 (cache on)" "$plain" "$populated"
pairs "page of 20, Accept-Encoding: gzip (cache on)" "$plain" "$populated" "${gz[@]}"
stop

# The same bytes from nginx: how much of the gap is the size of the answer.
chmod 755 "$work"
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
find "$work/nginx/www" -type f -exec gzip -k -6 {} +
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
sleep 0.5
ng=http://127.0.0.1:$NGINX_PORT
pairs "nginx: the two pages' bytes" "$ng/plain.json" "$ng/populated.json"
pairs "nginx: the two pages' bytes, gzip_static" "$ng/plain.json" "$ng/populated.json" "${gz[@]}"
stop
echo "results in $results"
