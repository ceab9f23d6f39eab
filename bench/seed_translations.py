#!/usr/bin/env python3
"""Adds a published French translation to every other article of a Quire
SQLite database seeded by seed_sqlite.py: its own title and slug, the
shared fields copied, body and summary left to fall back to English. Rows
are what the admin API writes (a row per translation sharing `entry_id`).

Usage: seed_translations.py DB_PATH
"""
import json
import sqlite3
import sys
import time
import uuid

LOCALIZED = {"title", "slug", "summary", "body"}


def main():
    db = sqlite3.connect(sys.argv[1])
    now = int(time.time() * 1_000_000)
    rows = []
    articles = db.execute(
        "SELECT id, draft, created_at FROM entries WHERE type = 'articles' AND locale = 'en' ORDER BY created_at"
    ).fetchall()
    for i, (entry_id, draft, created) in enumerate(articles):
        if i % 2:
            continue
        data = {k: v for k, v in json.loads(draft).items() if k not in LOCALIZED}
        data["title"] = f"Article {i} en français"
        data["slug"] = f"article-{i}-fr"
        doc = json.dumps(data, separators=(",", ":"))
        rows.append((str(uuid.uuid4()), entry_id, data["slug"], doc, created))
    with db:
        db.executemany(
            "INSERT INTO entries (id, entry_id, type, locale, status, slug, published_slug, draft, "
            "published, version, created_at, updated_at, published_at, live_updated_at) "
            "VALUES (?1, ?2, 'articles', 'fr', 'published', ?3, ?3, ?4, ?4, 2, ?5, ?5, ?5, ?5)",
            rows,
        )
    print(len(rows))


if __name__ == "__main__":
    main()
