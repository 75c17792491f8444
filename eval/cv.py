"""Would a change to the evidence model's features generalize? k-fold cross-validation on DEV.

    .venv/bin/python eval/cv.py --data-dir data/eval/articles --data-dir data/eval/distractors \
        eval/dev_v2.jsonl --without early

Fitting on dev and scoring dev says how well the model remembers dev; a new feature always looks
a little better that way. Here every dev question is scored by a model fitted on the other folds
(the same question in every store falls in one fold), for several fold splits, once with all
features and once without the named ones. The
score is the share of answerable questions whose gold sentence ranks in the first three
candidates, and their MRR. Questions that one variant gets and the other does not are counted
per split, with a two-sided sign test over the first split: a difference of a few questions
either way is noise.

A feature to try is added to `FEATURES` and `score_sentences` with weight 0 in `_weights.py`,
then compared here without it; `eval/fit.py` fits the weights once it is kept. The held-out
splits (test, unseen) are never read here.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fit import (
    HARD_NEGATIVES,
    Candidates,
    folds_by_question,
    gather,
    held_out,
    pairwise_regression,
)

from citedesk.answering.evaluation import load_items
from citedesk.answering.extractive import FEATURES


def gold_ranks(
    data: list[Candidates],
    dropped: set[str],
    seed: int,
    folds: int,
    hard_negatives: int = HARD_NEGATIVES,
) -> list[int]:
    """Each candidate list's first gold rank (0: none) under a model fitted on the other folds."""
    keep = np.array([name not in dropped for name in FEATURES])
    fold_of = folds_by_question((c.question for c in data), seed, folds)
    ranks = [0] * len(data)
    for fold in range(folds):
        train = [c for c in data if fold_of[c.question] != fold and len(c.gold)]
        x = np.vstack([c.features for c in train]) * keep  # a zero column gets a zero weight
        y = np.concatenate([c.gold for c in train]).astype(float)
        groups = np.concatenate([np.full(len(c.gold), i) for i, c in enumerate(train)])
        weights = pairwise_regression(x, y, groups, hard_negatives=hard_negatives)[1:]
        for index, c in enumerate(data):
            if fold_of[c.question] == fold and c.gold.any():
                order = np.argsort(-((c.features * keep) @ weights), kind="stable")
                ranks[index] = int(np.flatnonzero(c.gold[order])[0]) + 1
    return ranks


def sign_test(wins: int, losses: int) -> float:
    """Two-sided p-value that wins and losses are a fair coin's."""
    n = wins + losses
    if not n:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dev", type=Path, nargs="+", help="The dev split.")
    parser.add_argument("--data-dir", type=Path, action="append", required=True)
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=FEATURES,
        help="Compare all features against all but this one; repeatable.",
    )
    parser.add_argument(
        "--hard-negatives",
        type=int,
        help="Compare the fit's emphasis on each question's best-scored wrong candidates "
        f"(HARD_NEGATIVES = {HARD_NEGATIVES}) against this many instead (0: none), all features.",
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--splits", type=int, default=3, help="Fold splits (seeds) to average.")
    args = parser.parse_args()
    if any(map(held_out, args.dev)):
        sys.exit("refusing to cross-validate on a held-out split")
    items = [item for path in args.dev for item in load_items(path)]
    data = [c for c in gather(items, args.data_dir) if not c.abstain]
    print(f"{len(data)} answerable question-store pairs, {args.folds} folds, {args.splits} splits")
    variants: dict[str, tuple[set[str], int]] = {"all features": (set(), HARD_NEGATIVES)}
    if args.hard_negatives is not None:
        variants[f"hard negatives {args.hard_negatives}"] = (set(), args.hard_negatives)
    else:
        variants[f"without {', '.join(args.without)}"] = (set(args.without), HARD_NEGATIVES)
    results = {
        name: [gold_ranks(data, dropped, seed, args.folds, hard) for seed in range(args.splits)]
        for name, (dropped, hard) in variants.items()
    }
    for name, runs in results.items():
        top3 = [np.mean([0 < r <= 3 for r in ranks]) for ranks in runs]
        mrr = [np.mean([1 / r if r else 0.0 for r in ranks]) for ranks in runs]
        print(
            f"{name:40} gold in first three {np.mean(top3):.1%} (splits {min(top3):.1%}-"
            f"{max(top3):.1%}), MRR {np.mean(mrr):.3f}"
        )
    if args.without or args.hard_negatives is not None:
        full, reduced = (results[name][0] for name in variants)
        wins = sum(0 < a <= 3 and not 0 < b <= 3 for a, b in zip(full, reduced, strict=True))
        losses = sum(0 < b <= 3 and not 0 < a <= 3 for a, b in zip(full, reduced, strict=True))
        print(
            f"first split: {wins} questions in the first three only with all features, {losses} "
            f"only without; sign test p = {sign_test(wins, losses):.2f}"
        )


if __name__ == "__main__":
    main()
