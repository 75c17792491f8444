#!/usr/bin/env python3
"""Split the full question set ONCE into dev and test halves.

Usage: python eval/split.py [/work/evaldata/questions_all.jsonl]
Seeded random.Random(20261123); stratified by (corpus, category); within each
stratum the items are shuffled and the first ceil/floor half (alternating the
odd extra item between dev and test across strata) goes to dev, the rest to
test. A followup item carries its own history, so it is one unit. Writes
eval/dev_v2.jsonl and eval/test_v2.jsonl, each sorted by id.
"""

import json
import os
import random
import sys
from collections import defaultdict

SEED = 20261123
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/evaldata/questions_all.jsonl"
    with open(src, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    strata = defaultdict(list)
    for r in rows:
        strata[(r["corpus"], r["category"])].append(r)
    rng = random.Random(SEED)
    dev, test = [], []
    extra_to_dev = True
    for key in sorted(strata):
        items = sorted(strata[key], key=lambda r: r["id"])
        rng.shuffle(items)
        half = len(items) // 2
        if len(items) % 2:
            half += 1 if extra_to_dev else 0
            extra_to_dev = not extra_to_dev
        dev += items[:half]
        test += items[half:]

    def key(r):
        return r["id"]

    for name, part in (("dev_v2.jsonl", dev), ("test_v2.jsonl", test)):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            for r in sorted(part, key=key):
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(part)}")


if __name__ == "__main__":
    main()
