#!/usr/bin/env python3
"""How long a publish on one node takes to show on the others.

Usage: replication_delay.py WRITE_BASE EMAIL PASSWORD SAMPLES PAUSE_MS READ_BASE [READ_BASE ...]

SAMPLES times, one after another: create an article on WRITE_BASE through
the admin API (its title carries a made-up word no other entry has),
publish it, and take T0 when the publish's answer is back. From the create
on, one thread per reading node and per probe asks every 2 ms:

- entry: GET /api/articles/{id} answers 200;
- page:  GET /api/articles?sort=-published_at&limit=20 lists it (a page
  every node keeps in its response cache, as a busy site's front page);
- search: GET /api/search?q=<the word> finds it.

The delay is from T0 to the first answer that shows the article (0 when an
answer came back before the publish's own did). A random pause of up to
PAUSE_MS between samples keeps publishes from falling into step with a
node's own timers. Prints p50/p90/p99/max per probe over all reading nodes.
Standard library only.
"""
import http.client
import json
import math
import os
import queue
import random
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from seed import article  # noqa: E402

INTERVAL = float(os.environ.get("POLL_MS", "2")) / 1000
TIMEOUT = float(os.environ.get("TIMEOUT_S", "10"))
PAGE = "/api/articles?sort=-published_at&limit=20"


class Client:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                res = self.conn.getresponse()
                return res.status, res.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class Sample:
    def __init__(self, entry_id, word):
        self.id, self.word = entry_id, word
        self.t0 = None
        self.seen = {}  # (node, probe) -> monotonic time of the answer, or None
        self.lock = threading.Lock()
        self.done = threading.Semaphore(0)


class Poller(threading.Thread):
    def __init__(self, node, base, probe):
        super().__init__(daemon=True)
        self.node, self.probe = node, probe
        self.client = Client(base)
        self.jobs = queue.Queue()

    def path(self, s):
        if self.probe == "entry":
            return f"/api/articles/{s.id}"
        if self.probe == "page":
            return PAGE
        return f"/api/search?q={s.word}&type=articles&limit=10"

    def run(self):
        while (s := self.jobs.get()) is not None:
            path, needle = self.path(s), f'"{s.id}"'.encode()
            deadline = time.monotonic() + TIMEOUT
            seen = None
            while True:
                status, body = self.client.request("GET", path)
                t = time.monotonic()
                if status == 200 and needle in body:
                    seen = t
                    break
                if t > deadline:
                    break
                time.sleep(INTERVAL)
            with s.lock:
                s.seen[(self.node, self.probe)] = seen
            s.done.release()


def pick(values, q):
    """Nearest-rank percentile."""
    values = sorted(values)
    return values[max(0, min(len(values), math.ceil(len(values) * q)) - 1)]


def main():
    write_base, email, password, samples, pause_ms = sys.argv[1:6]
    readers = sys.argv[6:]
    samples, pause = int(samples), float(pause_ms) / 1000
    if not readers:
        sys.exit("name at least one node to read from")

    writer = Client(write_base)
    status, body = writer.request("POST", "/admin/api/auth/login",
                                  json.dumps({"email": email, "password": password}),
                                  {"content-type": "application/json"})
    if status != 200:
        sys.exit(f"login on {write_base}: {status} {body[:200]!r}")
    auth = {"authorization": "Bearer " + json.loads(body)["token"], "content-type": "application/json"}

    probes = ("entry", "page", "search")
    pollers = [Poller(n + 2, base, p) for n, base in enumerate(readers) for p in probes]
    for p in pollers:
        p.start()

    rng = random.Random()
    letters = "abcdefghijklmnopqrstuvwxyz"
    delays = {p: [] for p in probes}
    missed = {p: 0 for p in probes}
    publish_ms = []
    for k in range(samples):
        # A 12-letter word of random letters: no other title holds it, and
        # no two samples' words are within the search's typo distance.
        word = "".join(rng.choice(letters) for _ in range(12))
        data = article(1_000_000 + k)
        data["title"] = f"Replication check {k} {word}"
        status, body = writer.request("POST", "/admin/api/entries/articles",
                                      json.dumps({"data": data}), auth)
        if status != 201:
            sys.exit(f"create: {status} {body[:200]!r}")
        s = Sample(json.loads(body)["id"], word)
        for p in pollers:
            p.jobs.put(s)
        t = time.monotonic()
        status, body = writer.request("POST", f"/admin/api/entries/articles/{s.id}/publish", b"", auth)
        s.t0 = time.monotonic()
        if status != 200:
            sys.exit(f"publish: {status} {body[:200]!r}")
        publish_ms.append((s.t0 - t) * 1000)
        for _ in pollers:
            s.done.acquire()
        for (node, probe), seen in s.seen.items():
            if seen is None:
                missed[probe] += 1
            else:
                delays[probe].append(max(0.0, seen - s.t0) * 1000)
        if (k + 1) % 50 == 0:
            print(f"  {k + 1}/{samples} samples", file=sys.stderr)
        time.sleep(rng.uniform(0, pause))
    for p in pollers:
        p.jobs.put(None)

    nodes = ", ".join(str(n + 2) for n in range(len(readers)))
    print(f"{samples} articles created and published on node 1, read on node(s) {nodes} every "
          f"{INTERVAL * 1000:g} ms; ms from the publish's answer to the first answer that shows it "
          f"({samples * len(readers)} readings per row)")
    names = {
        "entry": "read fresh on another node (GET /api/articles/{id})",
        "page": "in the newest page on another node (cached list)",
        "search": "searchable on another node (GET /api/search)",
    }
    print(f"| what | p50 | p90 | p99 | max | not seen in {TIMEOUT:g} s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for p in probes:
        d = delays[p]
        if d:
            cells = " | ".join(f"{pick(d, q):.1f}" for q in (0.5, 0.9, 0.99)) + f" | {max(d):.1f}"
        else:
            cells = "– | – | – | –"
        print(f"| {names[p]} | {cells} | {missed[p]} |")
    print(f"publish on node 1 (its own answer): p50 {pick(publish_ms, 0.5):.1f} ms, "
          f"p99 {pick(publish_ms, 0.99):.1f} ms")


if __name__ == "__main__":
    main()
