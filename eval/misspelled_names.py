"""Robustness to typos: misspell every name in the answerable questions, compare the hit rate.

    .venv/bin/python eval/misspelled_names.py --data-dir data/eval/articles eval/test_v2.jsonl

Each capitalised word of five letters or more after a question's first word gets one random edit
(a letter changed, two swapped, one dropped or doubled; fixed seed), so the questions are new to
the ranking code. Follow-ups and the misspelling category itself are left out. Prints the hit
rate as written and misspelled, and how many answered questions became refusals.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from citedesk.answering.evaluation import EvalItem, gold_rank, load_items
from citedesk.desk import Desk
from citedesk.settings import Settings

NAME = re.compile(r"\b[A-Z][a-z]{4,}\b")


def misspell(word: str, rng: random.Random) -> str:
    """One edit inside the word (its first and last letters kept)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["change", "swap", "drop", "double"])
    if kind == "change":
        return word[:i] + rng.choice("aeioulnrst".replace(word[i], "")) + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


class Misspelled(NamedTuple):
    questions: int
    hit_as_written: float
    hit_misspelled: float
    newly_refused: int

    def line(self) -> str:
        return (
            f"{self.questions} questions with names: hit rate {self.hit_as_written:.1%} as "
            f"written, {self.hit_misspelled:.1%} misspelled; {self.newly_refused} newly refused"
        )


def measure(
    desk: Desk, items: Iterable[EvalItem], seed: int = 11, show: bool = False
) -> Misspelled:
    """Ask each answerable question with names as written and with every name misspelled."""
    rng = random.Random(seed)
    as_written = misspelled = count = refused = 0
    for item in items:
        if item.abstain or item.history or item.category == "misspelling":
            continue
        names = [m.group() for m in NAME.finditer(item.question) if m.start() > 0]
        if not names:
            continue
        typed = item.question
        for name in names:
            typed = typed.replace(name, misspell(name, rng), 1)
        right = desk.ask(item.question, today=item.asked_on)
        wrong = desk.ask(typed, today=item.asked_on)
        hit_right = gold_rank(right, item.answers) is not None
        hit_wrong = gold_rank(wrong, item.answers) is not None
        as_written += hit_right
        misspelled += hit_wrong
        refused += wrong.abstained and not right.abstained
        count += 1
        if show and hit_right and not hit_wrong:
            print(f"lost: {item.question} -> {typed}")
    if not count:
        return Misspelled(0, 0.0, 0.0, 0)
    return Misspelled(count, as_written / count, misspelled / count, refused)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", type=Path, nargs="+")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--show", action="store_true", help="List the questions lost.")
    args = parser.parse_args()
    desk = Desk.open(Settings(_env_file=None, CITEDESK_DATA_DIR=args.data_dir))  # type: ignore[call-arg]
    items = [item for path in args.sets for item in load_items(path)]
    result = measure(desk, items, args.seed, args.show)
    if not result.questions:
        sys.exit("no answerable question with a name")
    print(result.line())


if __name__ == "__main__":
    main()
