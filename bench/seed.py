#!/usr/bin/env python3
"""Seeds a running Quire with published articles of realistic length.

Usage: seed.py BASE_URL EMAIL PASSWORD COUNT IDS_FILE
Writes the ids of the published entries to IDS_FILE, one a line.
Standard library only, so it runs anywhere Python 3 does.
"""
import json
import random
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

WORDS = (
    "content editor publish draft static site build page article author media search index "
    "release schema field value query filter sort cache request response latency quire "
    "markdown image video team launch review story news guide opinion archive reader web"
).split()


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read() or b"null")


SYLLABLES = (
    "ka ri to mo la ne su vi de pa lo min tar ses qua ber dol fen gar hil jun kel "
    "mar nor pel ron sal tem ur vel wen yor zan bri cla dro fli gro pla spe tri"
).split()


def _vocabulary():
    """The domain words first, then 20,000 made-up words: real text draws from
    a large vocabulary with a few very common words (Zipf's law)."""
    rng = random.Random(42)
    words = list(WORDS)
    seen = set(words)
    while len(words) < 20_000:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    weights, total = [], 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 1)
        weights.append(total)
    return words, weights


VOCABULARY, CUMULATIVE = _vocabulary()


def sentence(rng, n):
    return " ".join(rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=n)).capitalize() + "."


def article(i):
    rng = random.Random(i)
    title = f"{sentence(rng, rng.randint(4, 9))[:-1]} {i}"
    body = "\n\n".join(" ".join(sentence(rng, rng.randint(8, 16)) for _ in range(3)) for _ in range(3))
    return {
        "title": title,
        "summary": sentence(rng, rng.randint(15, 25)),
        "body": "## " + sentence(rng, 5) + "\n\n" + body,
        "byline": rng.choice(["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra"]),
        "category": rng.choice(["news", "guide", "opinion"]),
        "reading_minutes": rng.randint(1, 30),
        "featured": rng.random() < 0.1,
        "event_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }


def main():
    base, email, password, count, ids_file = sys.argv[1:6]
    token = call(base, "POST", "/admin/api/auth/login", body={"email": email, "password": password})["token"]

    def one(i):
        e = call(base, "POST", "/admin/api/entries/articles", token, {"data": article(i)})
        call(base, "POST", f"/admin/api/entries/articles/{e['id']}/publish", token)
        return e["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(one, range(int(count))))
    with open(ids_file, "w") as f:
        f.write("\n".join(ids) + "\n")


if __name__ == "__main__":
    main()
