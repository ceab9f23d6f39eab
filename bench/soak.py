#!/usr/bin/env python3
"""Soak: mixed reads, writes, searches and uploads at a fixed rate against a
running Quire, reporting every window: requests, errors, p50/p99, and the
server's resident memory, open file descriptors and database connections.

Usage: soak.py BASE_URL METRICS_URL PID EMAIL PASSWORD SECONDS RATE
Standard library only. Prints one line a window and a verdict at the end.
"""
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse

base, metrics_url, pid, email, password = sys.argv[1:6]
seconds, rate = int(sys.argv[6]), float(sys.argv[7])
WINDOW = 60
host = urllib.parse.urlsplit(base).netloc


class Client:
    """One keep-alive connection."""

    def __init__(self):
        self.conn = http.client.HTTPConnection(host, timeout=30)

    def call(self, method, path, body=None, token=None, headers=None):
        hdrs = dict(headers or {})
        if token:
            hdrs["authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            hdrs["content-type"] = "application/json"
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                res = self.conn.getresponse()
                data = res.read()
                return res.status, data
            except (http.client.HTTPException, OSError):
                # A keep-alive connection the server closed as idle: reopen.
                self.conn.close()
                self.conn = http.client.HTTPConnection(host, timeout=30)
                if attempt:
                    raise
        return 0, b""


setup = Client()
status, body = setup.call("POST", "/admin/api/auth/login", {"email": email, "password": password})
token = json.loads(body)["token"]
ids = []
for i in range(200):
    s, b = setup.call("POST", "/admin/api/entries/articles", {"data": {"title": f"Soak seed {i} tomato", "body": "basil " * 200}}, token)
    e = json.loads(b)
    setup.call("POST", f"/admin/api/entries/articles/{e['id']}/publish", token=token)
    ids.append(e["id"])

lock = threading.Lock()
samples = []  # (kind, seconds, ok)
failures = {}  # "kind status" → count
versions = {}


def fail(kind, status, body):
    key = f"{kind} {status} {body[:120]!r}"
    with lock:
        failures[key] = failures.get(key, 0) + 1


def one(client, rng, n):
    r = rng.random()
    if r < 0.45:
        kind, (s, b) = "read", client.call("GET", f"/api/articles/{rng.choice(ids)}")
        ok = s == 200
    elif r < 0.65:
        kind, (s, b) = "page", client.call("GET", "/api/articles?sort=-published_at&limit=20")
        ok = s == 200
    elif r < 0.75:
        q = urllib.parse.quote(rng.choice(["tomato", "basil", "soak seed", "tomat"]))
        kind, (s, b) = "search", client.call("GET", "/api/search?q=" + q)
        ok = s == 200
    elif r < 0.95:
        kind = "write"
        s, b = client.call("POST", "/admin/api/entries/articles", {"data": {"title": f"Soak {n}", "body": "words " * 100}}, token)
        ok = s == 201
        if ok:
            e = json.loads(b)
            s, b = client.call("PATCH", f"/admin/api/entries/articles/{e['id']}", {"data": {"summary": "edited"}, "version": e["version"]}, token)
            ok = s == 200
            if ok:
                s, b = client.call("POST", f"/admin/api/entries/articles/{e['id']}/publish", token=token)
                ok = s == 200
    else:
        kind = "upload"
        payload = os.urandom(32 * 1024)
        boundary = "soakboundary"
        form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s{n}.bin\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
        s, b = client.call("POST", "/admin/api/assets", form, token, {"content-type": f"multipart/form-data; boundary={boundary}"})
        ok = s == 201
    if not ok:
        fail(kind, s, b)
    return kind, ok


def worker(k, stop_at, interval):
    client, rng = Client(), random.Random(k)
    n = 0
    next_at = time.monotonic() + rng.random() * interval
    while next_at < stop_at:
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t0 = time.monotonic()
        try:
            kind, ok = one(client, rng, f"{k}-{n}")
        except Exception as e:  # noqa: BLE001 - a failed request is a finding
            kind, ok = "error", False
            fail("exception", 0, repr(e).encode())
        with lock:
            samples.append((kind, time.monotonic() - t0, ok))
        n += 1
        next_at += interval


def proc_stats():
    # Anonymous memory: what the process holds itself. Pages of the files it
    # maps (SQLite, the search index) are the kernel's page cache.
    rss = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("RssAnon:"):
            rss = int(line.split()[1]) // 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    conns = 0
    try:
        mc = http.client.HTTPConnection(urllib.parse.urlsplit(metrics_url).netloc, timeout=5)
        mc.request("GET", "/metrics")
        for line in mc.getresponse().read().decode().splitlines():
            if line.startswith("quire_db_connections{"):
                conns += int(float(line.split()[-1]))
    except OSError:
        conns = -1
    return rss, fds, conns


WORKERS = 16
start = time.monotonic()
stop_at = start + seconds
threads = [threading.Thread(target=worker, args=(k, stop_at, WORKERS / rate), daemon=True) for k in range(WORKERS)]
for t in threads:
    t.start()
print(f"soak: {rate:.0f} req/s for {seconds} s, {WORKERS} connections; one line a minute")
print("minute  requests  errors  p50 ms  p99 ms  anon MB  fds  db conns")
rows = []
taken = 0
while time.monotonic() < stop_at:
    time.sleep(min(WINDOW, max(0.0, stop_at - time.monotonic())))
    with lock:
        window = samples[taken:]
        taken = len(samples)
    if not window:
        continue
    lat = sorted(s for _, s, _ in window)
    errors = sum(1 for _, _, ok in window if not ok)
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    rss, fds, conns = proc_stats()
    rows.append((len(window), errors, p50, p99, rss, fds, conns))
    print(f"{len(rows):6d}  {len(window):8d}  {errors:6d}  {p50:6.1f}  {p99:6.1f}  {rss:7d}  {fds:3d}  {conns:8d}", flush=True)
for t in threads:
    t.join()

total = sum(r[0] for r in rows)
errors = sum(r[1] for r in rows)
later = rows[len(rows) // 2:] or rows
print(f"total {total} requests, {errors} errors")
for key, count in sorted(failures.items(), key=lambda kv: -kv[1]):
    print(f"  {count} × {key}")
print(f"p99 ms: first window {rows[0][3]:.1f}, median of windows {statistics.median(r[3] for r in rows):.1f}, last {rows[-1][3]:.1f}")
print(f"anonymous RSS MB: first {rows[0][4]}, max of second half {max(r[4] for r in later)}, last {rows[-1][4]}")
print(f"fds: first {rows[0][5]}, max {max(r[5] for r in rows)}, last {rows[-1][5]}; db connections max {max(r[6] for r in rows)}")
sys.exit(1 if errors else 0)
