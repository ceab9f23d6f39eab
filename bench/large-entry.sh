#!/usr/bin/env bash
# Memory around the largest entry Quire takes: RSS at idle, its high-water
# mark while the entry is saved, edited and published a few times (and read
# back), and RSS once things settle. The budget: back within 50 MB of idle.
#   bash bench/large-entry.sh              # an entry of 1 MiB (the most there is)
#   ROUNDS=5 bash bench/large-entry.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18090}
EMAIL=bench@example.com
PASSWORD=bench-password-123

cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_ADMIN_EMAIL=$EMAIL QUIRE_ADMIN_PASSWORD=$PASSWORD QUIRE_CONTENT_TYPES=$PWD/content-types
"$BIN" serve & pid=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done

kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
python3 - "$PORT" "$EMAIL" "$PASSWORD" "$ROUNDS" "$pid" <<'PY'
import json, sys, time, urllib.request
port, email, password, rounds, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
base = f"http://127.0.0.1:{port}"

def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read() or b"null")

def status(key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024
    return 0

def rss():
    """Anonymous memory: what the process itself holds. Pages of files it
    maps (the SQLite file, the search index) are the kernel's page cache,
    shared and dropped under pressure, and are reported apart."""
    return status("RssAnon")

token = call("POST", "/admin/api/auth/login", {"email": email, "password": password})["token"]
for i in range(20):  # warm up the small paths first
    e = call("POST", "/admin/api/entries/articles", {"data": {"title": f"small {i}"}}, token)
    call("POST", f"/admin/api/entries/articles/{e['id']}/publish", None, token)
    urllib.request.urlopen(f"{base}/api/articles/{e['id']}").read()
time.sleep(2)
idle = rss()
max_entry = 1024 * 1024  # MAX_ENTRY_BYTES
words = ("lorem ipsum dolor sit amet consectetur adipiscing elit " * 200000)
body = words[: max_entry - 4096]
steps = []
for r in range(rounds):
    e = call("POST", "/admin/api/entries/articles", {"data": {"title": f"large {r}", "body": body}}, token)
    steps.append(("create", rss()))
    e = call("PATCH", f"/admin/api/entries/articles/{e['id']}", {"data": {"body": body[::-1]}, "version": e["version"]}, token)
    steps.append(("edit", rss()))
    call("POST", f"/admin/api/entries/articles/{e['id']}/publish", None, token)
    steps.append(("publish", rss()))
    urllib.request.urlopen(f"{base}/api/articles/{e['id']}").read()
    steps.append(("read", rss()))
    time.sleep(1)
    steps.append(("+1 s", rss()))
print("RSS after each step (MB): " + ", ".join(f"{n} {m}" for n, m in steps))
time.sleep(10)
settled = rss()
peak = max(m for _, m in steps)
print(f"entry of {len(body) // 1024} KiB x {rounds} (create, edit, publish, read)")
print(f"anonymous RSS: idle {idle} MB, highest seen {peak} MB, settled after 10 s {settled} MB ({settled - idle:+d} MB)")
print(f"whole RSS high-water {status('VmHWM')} MB; file-backed pages now {status('RssFile')} MB")
PY
