#!/usr/bin/env bash
# Webhook fan-out (release build, SQLite): N publishes (default 1,000) to 3
# receivers on loopback, each webhook asking for entry.published. Reports
# deliveries per second from the first publish to the last delivery, and
# checks that every receiver got every publish exactly once (by entry id).
#   bash bench/webhooks.sh           # about a minute after the build
#   N=200 bash bench/webhooks.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000}
PORT=${PORT:-18081}

cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
results=bench/results/webhooks-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_CONTENT_TYPES=$PWD/content-types QUIRE_SEARCH_DIR=memory
export QUIRE_ADMIN_EMAIL=bench@example.com QUIRE_ADMIN_PASSWORD=bench-password-for-hooks-42
export QUIRE_WEBHOOK_ALLOW_PRIVATE=true
base=http://127.0.0.1:$PORT
"$BIN" serve & pid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done

python3 - "$base" "$N" <<'PY' | tee "$results"
import json, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

base, n = sys.argv[1], int(sys.argv[2])
got = [dict() for _ in range(3)]  # entry id -> deliveries seen
last = [0.0]
stamps = []
lock = threading.Lock()

def receiver(i):
    class H(BaseHTTPRequestHandler):
        # Keep-alive, as a real receiver behind a proxy would.
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            with lock:
                got[i][body["id"]] = got[i].get(body["id"], 0) + 1
                last[0] = time.perf_counter()
                stamps.append(last[0])
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()
        def log_message(self, *a):
            pass
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]

def call(path, token=None, method="GET", body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    if token:
        req.add_header("authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.load(r) if r.status != 204 else None

token = call("/admin/api/auth/login", method="POST",
             body={"email": "bench@example.com", "password": "bench-password-for-hooks-42"})["token"]
for i in range(3):
    port = receiver(i)
    call("/admin/api/webhooks", token, "POST",
         {"name": f"receiver {i}", "url": f"http://127.0.0.1:{port}/hook", "events": ["entry.published"]})
ids = [call("/admin/api/entries/articles", token, "POST", {"data": {"title": f"Hook bench {k}"}})["id"]
       for k in range(n)]
print(f"# quire webhook bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {n} publishes x 3 receivers, SQLite")
t0 = time.perf_counter()
for i in ids:
    call(f"/admin/api/entries/articles/{i}/publish", token, "POST")
published = time.perf_counter() - t0
deadline = time.time() + 120
while time.time() < deadline and sum(len(g) for g in got) < 3 * n:
    time.sleep(0.05)
elapsed = last[0] - t0
total = sum(sum(g.values()) for g in got)
print(f"publishes: {n} in {published:.2f} s ({n / published:.0f}/s)")
print(f"deliveries: {total} of {3 * n} in {elapsed:.2f} s from the first publish: {total / elapsed:.0f} deliveries/s")
missing = [3 * n - sum(len(g) for g in got)]
twice = sum(1 for g in got for c in g.values() if c > 1)
print(f"lost: {missing[0]}, delivered twice: {twice}")
import os
if os.environ.get("TRACE"): print([round(s - t0, 2) for s in stamps[::10]])
sys.exit(0 if missing[0] == 0 else 1)
PY
