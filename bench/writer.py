#!/usr/bin/env python3
"""Edits and publishes articles at a steady rate while a read benchmark runs:
each step renames one article (chosen at random from IDS_FILE) and
publishes it, `RATE` publishes a second for `SECONDS`. Prints how many
publishes it made and their p50/p99.

Usage: writer.py BASE EMAIL PASSWORD IDS_FILE RATE SECONDS
"""
import random
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from seed import call  # noqa: E402


def main():
    base, email, password, ids_file, rate, seconds = sys.argv[1:7]
    rate, seconds = float(rate), float(seconds)
    token = call(base, "POST", "/admin/api/auth/login", body={"email": email, "password": password})["token"]
    ids = [line.strip() for line in open(ids_file) if line.strip()]
    rng = random.Random(7)
    took, start, n = [], time.monotonic(), 0
    while time.monotonic() - start < seconds:
        due = start + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        i = rng.choice(ids)
        t = time.monotonic()
        e = call(base, "GET", f"/admin/api/entries/articles/{i}", token)
        call(base, "PATCH", f"/admin/api/entries/articles/{i}", token,
             {"data": {"title": f"Edited {n}"}, "version": e["version"]})
        call(base, "POST", f"/admin/api/entries/articles/{i}/publish", token)
        took.append(time.monotonic() - t)
        n += 1
    took.sort()
    pick = lambda q: took[min(len(took) - 1, int(q * len(took)))] * 1000
    print(f"writer: {n} edit+publish in {time.monotonic() - start:.1f} s "
          f"({n / (time.monotonic() - start):.1f}/s), p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms")


if __name__ == "__main__":
    main()
