#!/usr/bin/env python3
"""Writes a related model straight into a migrated Quire SQLite database:
AUTHORS authors, TAGS tags and COUNT articles, each article with an author
and three tags, all published, with the `entry_refs` rows the admin API
would write; plus one `hubs` entry relating RELATED articles. Rows are what
the admin API writes (same columns and JSON, a revision and a change each).

Usage: seed_relations.py DB_PATH COUNT RELATED
Prints the hub's id.
"""
import json
import random
import sqlite3
import sys
import time
import uuid

sys.path.insert(0, __import__("os").path.dirname(__file__))
from seed import article  # noqa: E402

AUTHORS, TAGS = 50, 30


def main():
    path, count, related = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    db = sqlite3.connect(path)
    now = int(time.time() * 1_000_000)
    rng = random.Random(7)
    rows, refs = [], []
    t = now

    def entry(ty, slug, data):
        nonlocal t
        t += 1
        entry_id = str(uuid.uuid4())
        doc = json.dumps(data, separators=(",", ":"))
        rows.append((entry_id, ty, slug, slug, doc, doc, t))
        return entry_id

    authors = [entry("authors", f"author-{i}", {"name": f"Author {i}", "slug": f"author-{i}",
                                                "bio": "Writes about content."}) for i in range(AUTHORS)]
    tags = [entry("tags", f"tag-{i}", {"name": f"Tag {i}", "slug": f"tag-{i}"}) for i in range(TAGS)]
    articles = []
    for i in range(count):
        data = {k: v for k, v in article(i).items() if v is not None}
        data["slug"] = f"article-{i}"
        author = rng.choice(authors)
        chosen = rng.sample(tags, 3)
        data["author"], data["tags"] = author, chosen
        a = entry("articles", f"article-{i}", data)
        articles.append(a)
        for copy in ("draft", "live"):
            refs.append((a, copy, "author", author))
            refs.extend((a, copy, "tags", tag) for tag in chosen)
    picked = articles[:related]
    hub = entry("hubs", "hub", {"title": "Hub", "slug": "hub", "related": picked})
    for copy in ("draft", "live"):
        refs.extend((hub, copy, "related", a) for a in picked)
    with db:
        db.executemany(
            "INSERT INTO entries (id, entry_id, type, locale, status, slug, published_slug, draft, "
            "published, version, created_at, updated_at, published_at, live_updated_at) "
            "VALUES (?1, ?1, ?2, 'en', 'published', ?3, ?4, ?5, ?6, 2, ?7, ?7, ?7, ?7)",
            rows,
        )
        db.executemany(
            "INSERT INTO revisions (entry_id, version, action, data, created_at) VALUES (?1, 2, 'publish', ?5, ?7)",
            rows,
        )
        db.executemany(
            "INSERT INTO changes (entity, entity_id, content_type, action, at) VALUES ('entry', ?1, ?2, 'publish', ?7)",
            rows,
        )
        db.executemany("INSERT INTO entry_refs (source_id, copy, field, target_id) VALUES (?, ?, ?, ?)", refs)
    print(hub)


if __name__ == "__main__":
    main()
