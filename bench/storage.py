#!/usr/bin/env python3
"""Storage: writes COUNT articles through the admin API, each saved twice
(create, then an edit) and published once, then reports what SQLite holds.

Usage: storage.py write BASE_URL EMAIL PASSWORD COUNT
       storage.py report DB_PATH
The report compares the file with the JSON of the content it holds (each
entry's working copy once) and splits the file by table and index (dbstat).
Standard library only.
"""
import os
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from seed import article, call  # noqa: E402  (same generator as the HTTP seeder)


def write(base, email, password, count):
    token = call(base, "POST", "/admin/api/auth/login", body={"email": email, "password": password})["token"]

    def one(i):
        data = article(i)
        e = call(base, "POST", "/admin/api/entries/articles", token, {"data": data})
        data["summary"] = data["summary"][:-1] + ", revised."
        path = f"/admin/api/entries/articles/{e['id']}"
        e = call(base, "PATCH", path, token, {"data": data, "version": e["version"]})
        call(base, "POST", path + "/publish", token)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(count)))


def report(path):
    db = sqlite3.connect(path)
    # Each entry's working copy once (`draft` is JSON null while it is the live copy).
    content = db.execute(
        "SELECT SUM(LENGTH(CAST(CASE WHEN draft = 'null' THEN published ELSE draft END AS BLOB))) "
        "FROM entries"
    ).fetchone()[0] or 0
    entries = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    size = os.path.getsize(path)
    print(f"entries: {entries}; content JSON: {content / 2**20:.1f} MiB; "
          f"file: {size / 2**20:.1f} MiB ({size / max(content, 1):.2f}x the content)")
    rows = db.execute(
        "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 12"
    ).fetchall()
    for name, used in rows:
        print(f"  {name:32} {used / 2**20:7.1f} MiB")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        report(sys.argv[2])
