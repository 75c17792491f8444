"""Where the answerable questions of a split are lost: retrieval, ranking or the decision to answer.

    .venv/bin/python eval/diagnose.py eval/dev_v2.jsonl eval/dev_v3.jsonl [--store articles]

For each answerable question: was a sentence holding a gold phrase among the candidate sentences
at all (retrieval: the fused chunks, plus the last answer's articles for a follow-up), at what
rank the evidence model put it, and whether the question was answered. Run it on dev splits only:
what it shows is for choosing what to change.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_quality import open_desk  # noqa: E402

from citedesk.answering.evaluation import conversation, gold_rank, holds_gold, load_items  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("splits", nargs="+", type=Path)
    parser.add_argument("--store", default="articles", help="a store under data/eval/")
    parser.add_argument("--show", type=int, default=0, help="print this many lost questions")
    args = parser.parse_args()
    desk = open_desk(args.store)
    engine = desk.engine
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    gold_ranks: dict[str, list[int]] = defaultdict(list)
    lost: list[str] = []
    for split in args.splits:
        for item in load_items(split):
            if item.abstain:
                continue
            history = conversation(engine, item)
            evidence = engine.evidence(
                engine.check_question(item.question), history, today=item.asked_on
            )
            position = next(
                (i for i, s in enumerate(evidence.ranked) if holds_gold(s.text, item.answers)), None
            )
            answer = engine.ask(item.question, history, today=item.asked_on)
            if gold_rank(answer, item.answers) is not None:
                outcome = "hit"
            elif position is None:
                outcome = "not a candidate"
            elif answer.abstained:
                outcome = "refused"
            else:
                outcome = "ranked below"
            for key in (item.category, "all"):
                outcomes[key][outcome] += 1
                if position is not None:
                    gold_ranks[key].append(position + 1)
            if outcome != "hit":
                lost.append(
                    f"{outcome:16} {item.id:18} {item.category:15} gold at "
                    f"{position + 1 if position is not None else '-'}: {item.question[:70]}"
                )
    names = ["hit", "not a candidate", "ranked below", "refused"]
    print(f"| category | n | {' | '.join(names)} | gold rank median |")
    print("|---|---:|" + "---:|" * len(names) + "---:|")
    for key in sorted(outcomes, key=lambda k: (k == "all", k)):
        counts = outcomes[key]
        n = sum(counts.values())
        cells = " | ".join(f"{counts[name]} ({100 * counts[name] / n:.0f}%)" for name in names)
        ranks = gold_ranks[key]
        print(f"| {key} | {n} | {cells} | {statistics.median(ranks) if ranks else '-'} |")
    for line in lost[: args.show]:
        print(line)
    desk.close()


if __name__ == "__main__":
    main()
