#!/usr/bin/env python3
"""Validate the citedesk evaluation set and print counts.

Usage: python eval/check_set.py [FILE.jsonl ...]
Default files: eval/dev_v2.jsonl eval/test_v2.jsonl.

Checks: well-formed JSON with the keys in order; ids unique; category known;
abstain items have no gold; every gold phrase occurs verbatim (case-folded,
whitespace-folded, curly/straight quotes alike) in one of the named articles;
date items carry asked_on/article_date; followups carry a history; and, when
run on the two splits, each category has >= 15 questions per split.
Article folders: citedesk/data/sample/ (this repo), /work/shared/corpus/distractors/
(or $CITEDESK_DISTRACTORS), $CITEDESK_WIKI_CORPUS (default /work/evaldata/wiki/).
"""

import json
import os
import re
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = {
    "sample": os.path.join(ROOT, "citedesk", "data", "sample"),
    "distractors": os.environ.get(
        "CITEDESK_DISTRACTORS", os.path.join(ROOT, "..", "shared", "corpus", "distractors")
    ),
    "wiki": os.environ.get("CITEDESK_WIKI_CORPUS", os.path.join(ROOT, "..", "evaldata", "wiki")),
}
KEYS = [
    "id",
    "corpus",
    "category",
    "question",
    "history",
    "gold",
    "abstain",
    "articles",
    "asked_on",
    "article_date",
]
CATEGORIES = [
    "paraphrase",
    "misspelling",
    "noisy",
    "factoid",
    "multi_sentence",
    "followup",
    "date",
    "out_of_corpus",
]
MIN_PER_SPLIT = 15
QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
    }
)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def fold(text):
    return re.sub(r"\s+", " ", text.translate(QUOTES)).strip().casefold()


_cache = {}


def article(corpus, name):
    path = os.path.join(DIRS[corpus], name)
    if path not in _cache:
        with open(path, encoding="utf-8") as f:
            _cache[path] = fold(f.read())
    return _cache[path]


def check_file(path):
    errors, rows = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = f"{os.path.basename(path)}:{n}"
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: bad JSON ({e})")
                continue
            if list(r.keys()) != KEYS:
                errors.append(f"{where}: keys {list(r.keys())} != {KEYS}")
                continue
            rows.append(r)
            rid = r["id"]
            if r["corpus"] not in DIRS:
                errors.append(f"{rid}: unknown corpus {r['corpus']}")
                continue
            # unseen_v3.jsonl's ids: unseen-<corpus>-[<part>-]<3 digits>.
            pattern = rf"(?:unseen-{r['corpus']}-(?:[a-z]+-)?|{r['corpus']}-)\d{{3}}"
            if not re.fullmatch(pattern, rid):
                errors.append(f"{rid}: id not [unseen-]<corpus>-<3 digits>")
            if r["category"] not in CATEGORIES:
                errors.append(f"{rid}: unknown category {r['category']}")
            if not isinstance(r["history"], list) or not isinstance(r["gold"], list):
                errors.append(f"{rid}: history/gold must be lists")
            if not r["question"].strip():
                errors.append(f"{rid}: empty question")
            if r["category"] == "followup" and not (1 <= len(r["history"]) <= 2):
                errors.append(f"{rid}: followup needs 1-2 history questions")
            if r["category"] == "date":
                if not (
                    r["asked_on"]
                    and DATE.match(r["asked_on"])
                    and r["article_date"]
                    and DATE.match(r["article_date"])
                ):
                    errors.append(f"{rid}: date item needs asked_on and article_date")
                elif r["asked_on"] < r["article_date"]:
                    errors.append(f"{rid}: asked_on before article_date")
            if r["abstain"]:
                if r["gold"] or r["category"] != "out_of_corpus":
                    errors.append(f"{rid}: abstain item must be out_of_corpus with no gold")
                continue
            if r["category"] == "out_of_corpus":
                errors.append(f"{rid}: out_of_corpus must abstain")
            if not r["gold"] or not r["articles"]:
                errors.append(f"{rid}: answerable item needs gold and articles")
                continue
            texts = []
            for a in r["articles"]:
                try:
                    texts.append(article(r["corpus"], a))
                except OSError:
                    errors.append(f"{rid}: article not found: {r['corpus']}/{a}")
            for g in r["gold"]:
                if not any(fold(g) in t for t in texts):
                    errors.append(f"{rid}: gold not found in named articles: {g!r}")
    return rows, errors


def table(rows, title):
    corpora = [c for c in DIRS if any(r["corpus"] == c for r in rows)]
    cnt = Counter((r["corpus"], r["category"]) for r in rows)
    w = max(len(c) for c in CATEGORIES) + 1
    print(f"\n{title} ({len(rows)} questions)")
    print("category".ljust(w) + "".join(c.rjust(13) for c in corpora) + "total".rjust(8))
    for cat in CATEGORIES:
        vals = [cnt[(c, cat)] for c in corpora]
        print(cat.ljust(w) + "".join(str(v).rjust(13) for v in vals) + str(sum(vals)).rjust(8))
    tot = [sum(cnt[(c, cat)] for cat in CATEGORIES) for c in corpora]
    print("total".ljust(w) + "".join(str(v).rjust(13) for v in tot) + str(sum(tot)).rjust(8))


def main():
    files = sys.argv[1:] or [
        os.path.join(ROOT, "eval", "dev_v2.jsonl"),
        os.path.join(ROOT, "eval", "test_v2.jsonl"),
    ]
    all_errors, seen = [], {}
    for path in files:
        rows, errors = check_file(path)
        all_errors += errors
        for r in rows:
            if r["id"] in seen:
                all_errors.append(f"{r['id']}: duplicate id (also in {seen[r['id']]})")
            seen[r["id"]] = os.path.basename(path)
        table(rows, os.path.basename(path))
        if not sys.argv[1:]:
            cats = Counter(r["category"] for r in rows)
            for cat in CATEGORIES:
                if cats[cat] < MIN_PER_SPLIT:
                    all_errors.append(
                        f"{os.path.basename(path)}: only {cats[cat]} {cat} (< {MIN_PER_SPLIT})"
                    )
    if all_errors:
        print(f"\nFAILED: {len(all_errors)} problem(s)")
        for e in all_errors:
            print("  " + e)
        sys.exit(1)
    print("\nOK: all checks passed")


if __name__ == "__main__":
    main()
