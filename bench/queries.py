#!/usr/bin/env python3
"""Prints two-word search queries for the benchmark, one a line: words of
middling frequency from the seeders' vocabulary, one of them with a typo
(two letters swapped), as people type them.

Usage: queries.py COUNT
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
from seed import VOCABULARY  # noqa: E402


def typo(rng, word):
    if len(word) < 5:
        return word
    i = rng.randint(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def main():
    rng = random.Random(7)
    for _ in range(int(sys.argv[1])):
        a, b = rng.sample(VOCABULARY[20:3000], 2)
        print(f"{typo(rng, a)} {b}")


if __name__ == "__main__":
    main()
