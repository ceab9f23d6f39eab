#!/usr/bin/env bash
# The sync feed (release build, SQLite): a full sync of ENTRIES published
# articles at limit=1000, following next_cursor to the end, then a delta of
# 100 changes (50 unpublished, 50 edited and published again) read from the
# cursor the full sync ended at.
#   bash bench/sync.sh                 # about 2 minutes after the build
#   ENTRIES=10000 bash bench/sync.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-100000}
PORT=${PORT:-18080}

cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
results=bench/results/sync-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_CONTENT_TYPES=$PWD/content-types QUIRE_SEARCH_DIR=memory
export QUIRE_ADMIN_EMAIL=bench@example.com QUIRE_ADMIN_PASSWORD=bench-password-for-sync-42
base=http://127.0.0.1:$PORT
start() {
  "$BIN" serve & pid=$!
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

start
stop
python3 bench/seed_sqlite.py "$work/data/quire.db" "$ENTRIES" >/dev/null
start
python3 - "$base" "$ENTRIES" <<'PY' | tee "$results"
import json, statistics, sys, time, urllib.request

base, expected = sys.argv[1], int(sys.argv[2])

def get(url, token=None, method="GET", body=None):
    req = urllib.request.Request(url, method=method, data=body)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("content-type", "application/json")
    return json.load(urllib.request.urlopen(req))

print(f"# quire sync bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {expected} published articles, SQLite")
t0 = time.perf_counter()
items, pages, cursor = 0, 0, None
while True:
    page = get(f"{base}/api/sync?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
    items += len(page["data"])
    pages += 1
    cursor = page["meta"]["next_cursor"]
    if not page["meta"]["has_more"]:
        break
full = time.perf_counter() - t0
assert items == expected, f"{items} items, expected {expected}"
print(f"full sync: {items} entries in {pages} pages, {full:.2f} s ({items / full:,.0f} entries/s)")

login = json.dumps({"email": "bench@example.com", "password": "bench-password-for-sync-42"}).encode()
token = get(f"{base}/admin/api/auth/login", method="POST", body=login)["token"]
ids = [i["entry"]["id"] for i in get(f"{base}/api/sync?limit=100")["data"]]
for n, id in enumerate(ids):
    if n % 2:
        get(f"{base}/admin/api/entries/articles/{id}/unpublish", token, "POST", b"")
    else:
        e = get(f"{base}/admin/api/entries/articles/{id}", token)
        patch = json.dumps({"data": {"title": f"Edited {n}"}, "version": e["version"]}).encode()
        get(f"{base}/admin/api/entries/articles/{id}", token, "PATCH", patch)
        get(f"{base}/admin/api/entries/articles/{id}/publish", token, "POST", b"")

times = []
for _ in range(50):
    t = time.perf_counter()
    delta = get(f"{base}/api/sync?limit=1000&cursor={cursor}")
    times.append((time.perf_counter() - t) * 1000)
kinds = [next(iter(i)) for i in delta["data"]]
assert kinds.count("entry") == 50 and kinds.count("deleted") == 50, kinds
times.sort()
print(f"delta of 100 changes (50 upserts, 50 tombstones; 150 feed rows): "
      f"p50 {statistics.median(times):.1f} ms, p99 {times[int(len(times) * 0.99) - 1]:.1f} ms over {len(times)} reads")
PY
