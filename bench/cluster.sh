#!/usr/bin/env bash
# Scale-out on one machine (release build, PostgreSQL): three `quire serve`
# nodes on one fresh database, each with its own port, data and search
# folder, sharing one media folder. Seeds 10,000 published articles through
# node 1, then loads the public API (a page of 20 and one entry by id,
# rotating, cache on) on node 1 directly and through nginx balancing over
# 1, 2 and 3 nodes; then measures how long a publish on node 1 takes to be
# read, listed and found by search on nodes 2 and 3 (replication_delay.py).
# Load generator, balancer and nodes share the machine's cores.
#   bash bench/cluster.sh            # about 10 minutes after the build
#   ENTRIES=2000 DURATION=5s SAMPLES=50 bash bench/cluster.sh
#   SKIP_BUILD=1 CARGO_TARGET_DIR=~/.cache/quire-target bash bench/cluster.sh   # the binary built there
#   SKIP_BUILD=1 QUIRE_BIN=path/to/quire bash bench/cluster.sh
#   READS=0 POLL_MS=10 bash bench/cluster.sh   # no read load; delay probes every 10 ms
#   KEEP_LOGS=1 QUIRE_LOG=warn,quire::search=debug bash bench/cluster.sh   # each search commit timed, logs kept
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-10000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
SAMPLES=${SAMPLES:-300}
PAUSE_MS=${PAUSE_MS:-1000}
PORT=${PORT:-18090}                 # node n on PORT+n-1 (nodes 4 and 5 join at the end)
METRICS_PORT=${METRICS_PORT:-18100} # and their metrics on METRICS_PORT, +1, …
NGINX_PORT=${NGINX_PORT:-18099}
PG=${QUIRE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=quire_bench_cluster
EMAIL=bench@example.com
PASSWORD=bench-password-123

die() { echo "cluster.sh: $*" >&2; exit 1; }
need() { # command package
  command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; } || true
  command -v "$1" >/dev/null || die "needs $1 (Debian package $2)"
}
need wrk wrk
need nginx nginx-light
need psql postgresql-client
need curl curl
need python3 python3

[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release --locked -q
BIN=${QUIRE_BIN:-${CARGO_TARGET_DIR:-target}/release/quire}
[ -x "$BIN" ] || die "no binary at $BIN (build it, or set CARGO_TARGET_DIR or QUIRE_BIN)"
psql "$PG" -qAtc 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL does not answer at $PG (QUIRE_BENCH_POSTGRES_URL)"

work=$(mktemp -d)
results=bench/results/cluster-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
nodes=()  # pids of nodes 1, 2, 3
nginx_pid=
cleanup() {
  set +e
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  for p in "${nodes[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${nodes[@]}"; do wait "$p" 2>/dev/null; done
  if [ "${KEEP_DB:-}" = 1 ]; then
    echo "kept database $DB"
  else
    psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
  fi
  if [ "${KEEP_LOGS:-}" = 1 ]; then
    mkdir -p "${results%.txt}-logs" && cp "$work"/node*.log "${results%.txt}-logs/" && echo "node logs in ${results%.txt}-logs"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PGOPTIONS="-c client_min_messages=warning" psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
psql "$PG" -qc "CREATE DATABASE $DB" >/dev/null
mkdir -p "$work/media"
export QUIRE_DATABASE_URL=${PG%/*}/$DB QUIRE_MEDIA_URL=file://$work/media QUIRE_LOG=${QUIRE_LOG:-warn}
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types

node_url() { echo "http://127.0.0.1:$((PORT + $1 - 1))"; }
metrics() { curl -sf "http://127.0.0.1:$((METRICS_PORT + $1 - 1))/metrics"; }
start_node() { # n
  local n=$1
  QUIRE_BIND=127.0.0.1:$((PORT + n - 1)) QUIRE_METRICS_BIND=127.0.0.1:$((METRICS_PORT + n - 1)) \
    QUIRE_DATA_DIR=$work/node$n QUIRE_SEARCH_DIR=$work/node$n/search \
    "$BIN" serve >"$work/node$n.log" 2>&1 &
  nodes+=($!)
}
wait_ready() { # n
  local n=$1 pid=${nodes[$1 - 1]} tries=0
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$(node_url "$n")/readyz")" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$work/node$n.log" >&2; die "node $n exited"; }
    (( ++tries < 2400 )) || { tail -20 "$work/node$n.log" >&2; die "node $n not ready after 120 s"; }
    sleep 0.05
  done
}
# Every change indexed, and the list of articles counting all of them.
wait_caught_up() { # n count
  local n=$1 tries=0
  until metrics "$n" | grep '^quire_search_lag_changes 0$' >/dev/null &&
        [ "$(curl -sf "$(node_url "$n")/api/articles?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])' 2>/dev/null)" = "$2" ]; do
    (( ++tries < 600 )) || die "node $n has not caught up after 5 minutes"
    sleep 0.5
  done
}
requests_served() { metrics "$1" | awk '/^quire_http_requests_total\{/ { s += $NF } END { printf "%.0f\n", s }'; }

say() { echo "$*" | tee -a "$results"; }
rows=()
load() { # label url [wrk args…]: one wrk run; sets rps and p99
  local label=$1 url=$2 out; shift 2
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
  say "## $label"
  echo "$out" | grep -E 'Requests/sec|  (50|99)%|Non-2xx|Socket errors' | tee -a "$results"
  rps=$(echo "$out" | awk '/Requests\/sec/ { printf "%.0f", $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
  if echo "$out" | grep -qE 'Non-2xx|Socket errors'; then p99="$p99 (errors)"; fi
}
measure() { # label base count-of-nodes-behind-it
  local label=$1 base=$2 k=$3 before=() share='' i page_rps page_p99
  for i in $(seq 1 "$k"); do before+=("$(requests_served "$i")"); done
  load "$label: page of 20" "$base/api/articles?sort=-published_at&limit=20"
  page_rps=$rps page_p99=$p99
  load "$label: entry by id, rotating over $ENTRIES" "$base" -s bench/rotate_ids.lua
  if [ "$k" -gt 1 ]; then
    local counts=() total=0
    for i in $(seq 1 "$k"); do counts+=($(( $(requests_served "$i") - before[i - 1] ))); total=$(( total + counts[i - 1] )); done
    share=$(for c in "${counts[@]}"; do echo $(( (200 * c + total) / (2 * (total > 0 ? total : 1)) )); done | paste -sd/)
    share=" ($share %)"
    say "requests per node: ${counts[*]}"
  fi
  rows+=("| $label$share | $page_rps | $page_p99 | $rps | $p99 |")
}

start_nginx() { # k: balance over nodes 1..k
  local k=$1 i servers=''
  for i in $(seq 1 "$k"); do servers+="    server 127.0.0.1:$((PORT + i - 1));"$'\n'; done
  mkdir -p "$work/nginx"
  local user=''
  [ "$(id -u)" = 0 ] && user="user root root;"  # workers as this user, not nobody
  cat > "$work/nginx/nginx.conf" <<CONF
$user
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/client_body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 1000000;
  upstream quire {
$servers    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 20s;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://quire;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      # A page of 20 is ~35 KB: keep whole answers in memory, never on disk.
      proxy_buffer_size 16k;
      proxy_buffers 64 8k;
      proxy_max_temp_file_size 0;
    }
  }
}
CONF
  nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
  nginx_pid=$!
  local tries=0
  until curl -sf "http://127.0.0.1:$NGINX_PORT/readyz" >/dev/null; do
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/error.log" >&2; die "nginx exited"; }
    (( ++tries < 200 )) || die "nginx not answering after 10 s"
    sleep 0.05
  done
}
stop_nginx() { kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=; }

say "# quire cluster bench, $(date -u), $(nproc) cores, PostgreSQL, 3 nodes, $ENTRIES published articles, $CONNECTIONS connections, $DURATION each"
# Node 1 alone first: it migrates, applies content-types/ and creates the
# admin; then the other two join the same database.
start_node 1; wait_ready 1
start_node 2; start_node 3; wait_ready 2; wait_ready 3
t0=$(date +%s)
python3 bench/seed.py "$(node_url 1)" "$EMAIL" "$PASSWORD" "$ENTRIES" "$work/ids"
say "seeded $ENTRIES articles through node 1 (create + publish over HTTP) in $(( $(date +%s) - t0 )) s"
for n in 1 2 3; do wait_ready "$n"; wait_caught_up "$n" "$ENTRIES"; done
say "every node ready, its search index caught up and listing $ENTRIES articles"

# Every node renders each entry and the page once, so no run measures
# another node's first misses.
python3 - "$work/ids" "$(node_url 1)" "$(node_url 2)" "$(node_url 3)" <<'PY'
import http.client, sys, threading, urllib.parse
ids = [l.strip() for l in open(sys.argv[1]) if l.strip()]
failed = []
def warm(base):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for path in ["/api/articles?sort=-published_at&limit=20"] + [f"/api/articles/{i}" for i in ids]:
        c.request("GET", path)
        r = c.getresponse(); r.read()
        if r.status != 200:
            failed.append(f"{base}{path}: {r.status}")
            return
threads = [threading.Thread(target=warm, args=(b,)) for b in sys.argv[2:]]
for t in threads: t.start()
for t in threads: t.join()
sys.exit("warming the caches: " + "; ".join(failed) if failed else 0)
PY
export IDS_FILE=$work/ids
say "page of 20: $(curl -sf "$(node_url 1)/api/articles?sort=-published_at&limit=20" | wc -c) bytes"

if [ "${READS:-1}" = 1 ]; then
  measure "1 node, direct (no nginx)" "$(node_url 1)" 1
  for k in 1 2 3; do
    start_nginx "$k"
    measure "$k node$([ "$k" -gt 1 ] && echo s) behind nginx" "http://127.0.0.1:$NGINX_PORT" "$k"
    stop_nginx
  done

  say ""
  say "## read throughput (cache on, wrk -t2 -c$CONNECTIONS -d$DURATION; nginx worker_processes auto)"
  say "| nodes | page of 20, req/s | p99 | entry by id, req/s | p99 |"
  say "| --- | --- | --- | --- | --- |"
  for r in "${rows[@]}"; do say "$r"; done
fi

say ""
say "## replication delay (probes every ${POLL_MS:-2} ms)"
python3 bench/replication_delay.py "$(node_url 1)" "$EMAIL" "$PASSWORD" "$SAMPLES" "$PAUSE_MS" \
  "$(node_url 2)" "$(node_url 3)" | tee -a "$results"

# A new node with an empty search folder: replaying the whole change feed,
# then starting from `quire index snapshot`'s copy (taken from node 1).
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
say ""
say "## a new node joining: time until /readyz answers 200 (search caught up)"
total=$(( ENTRIES + SAMPLES ))
t=$(date +%s%N); start_node 4; wait_ready 4; replay_ms=$(ms_since "$t")
wait_caught_up 4 "$total"
t=$(date +%s%N)
snap=$(QUIRE_DATA_DIR=$work/node1 QUIRE_SEARCH_DIR=$work/node1/search "$BIN" index snapshot)
snap_ms=$(ms_since "$t")
t=$(date +%s%N); QUIRE_LOG=info start_node 5; wait_ready 5; restore_ms=$(ms_since "$t")
wait_caught_up 5 "$total"
grep -q "restored the index snapshot" "$work/node5.log" || die "node 5 did not start from the snapshot"
say "| how | ms to ready |"
say "| --- | --- |"
say "| replaying the change feed ($(psql "${PG%/*}/$DB" -qAtc 'SELECT COUNT(*) FROM changes') changes) | $replay_ms |"
say "| from the snapshot (\`quire index snapshot\`: $snap_ms ms; $snap) | $restore_ms |"
echo "results in $results"
