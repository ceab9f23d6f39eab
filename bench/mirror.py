#!/usr/bin/env python3
"""Saves Quire's public response for every id as a static file, so nginx can
serve exactly the same bytes at the same paths.

Usage: mirror.py HOST PORT IDS_FILE OUT_DIR
"""
import http.client
import os
import sys


def main():
    host, port, ids_file, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    target = os.path.join(out, "api", "articles")
    os.makedirs(target, exist_ok=True)
    conn = http.client.HTTPConnection(host, port)
    for entry_id in open(ids_file).read().split():
        conn.request("GET", f"/api/articles/{entry_id}")
        res = conn.getresponse()
        body = res.read()
        if res.status != 200:
            sys.exit(f"{entry_id}: {res.status}")
        with open(os.path.join(target, entry_id), "wb") as f:
            f.write(body)


if __name__ == "__main__":
    main()
