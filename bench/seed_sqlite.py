#!/usr/bin/env python3
"""Writes COUNT published articles straight into a migrated Quire SQLite
database, for benchmarks that need more entries than the HTTP API seeds in
reasonable time (search over 100,000 articles). Rows are what the admin API
would write: same columns, same JSON, a revision and a change each.

Usage: seed_sqlite.py DB_PATH COUNT
"""
import json
import sqlite3
import sys
import time
import uuid

sys.path.insert(0, __import__("os").path.dirname(__file__))
from seed import article  # noqa: E402  (same generator as the HTTP seeder)


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    now = int(time.time() * 1_000_000)
    rows, revisions, changes = [], [], []
    for i in range(count):
        data = article(i)
        data["slug"] = f"article-{i}"
        # Field order and unset fields as Quire stores them.
        doc = json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":"))
        entry_id = str(uuid.uuid4())
        t = now + i
        rows.append((entry_id, doc, doc, f"article-{i}", f"article-{i}", t))
        revisions.append((entry_id, doc, t))
        changes.append((entry_id, t))
    with db:
        db.executemany(
            "INSERT INTO entries (id, entry_id, type, locale, status, slug, published_slug, draft, "
            "published, version, created_at, updated_at, published_at, live_updated_at) "
            "VALUES (?1, ?1, 'articles', 'en', 'published', ?4, ?5, ?2, ?3, 2, ?6, ?6, ?6, ?6)",
            rows,
        )
        db.executemany(
            "INSERT INTO revisions (entry_id, version, action, data, created_at) VALUES (?, 2, 'publish', ?, ?)",
            revisions,
        )
        db.executemany(
            "INSERT INTO changes (entity, entity_id, content_type, action, at, locale) "
            "VALUES ('entry', ?, 'articles', 'publish', ?, 'en')",
            changes,
        )
    print(f"seeded {count} published articles into {path}")


if __name__ == "__main__":
    main()
