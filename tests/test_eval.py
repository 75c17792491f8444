"""The evaluation sets: a regression guard on the sample articles, and the frozen test split."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from citedesk.answering.evaluation import EvalItem, evaluate, load_items
from citedesk.desk import Desk
from citedesk.errors import BadInputError
from citedesk.paths import PROJECT_ROOT

EVAL = PROJECT_ROOT / "eval"
README = PROJECT_ROOT / "README.md"


def sample_items(split: str) -> list[EvalItem]:
    return [item for item in load_items(EVAL / f"{split}_v2.jsonl") if item.corpus == "sample"]


def test_dev_split_on_the_sample_articles(desk: Desk) -> None:
    """Tuned on: a floor a little under today's figures, so a regression shows."""
    report = evaluate(desk, sample_items("dev"))
    assert report.items >= 40
    # Measured 77.5% and 86.7% on 2026-11-23.
    assert report.hit_rate >= 0.7 and report.abstain_accuracy >= 0.8


def test_test_split_on_the_sample_articles(desk: Desk) -> None:
    """Never tuned on: how the engine does on questions it was not shaped for."""
    report = evaluate(desk, sample_items("test"))
    assert report.items >= 40
    # Measured 77.5% and 86.7% on 2026-11-23.
    assert report.hit_rate >= 0.7 and report.abstain_accuracy >= 0.8


@pytest.mark.parametrize("held_out", ["test_v2.jsonl", "unseen_v3.jsonl"])
def test_the_held_out_sets_are_frozen(held_out: str) -> None:
    """A change to a held-out set needs its new hash in the README, with the reason beside it."""
    digest = hashlib.sha256((EVAL / held_out).read_bytes()).hexdigest()
    assert digest in README.read_text(), (
        f"eval/{held_out} changed (sha256 {digest}); it is frozen: put the new hash in the "
        "README's 'Evaluation' section and say why it changed"
    )


def test_the_sets_do_not_share_questions() -> None:
    sets = [
        {(item.question, tuple(item.history)) for item in load_items(EVAL / name)}
        for name in ("dev_v2.jsonl", "dev_v3.jsonl", "test_v2.jsonl", "unseen_v3.jsonl")
    ]
    for first in range(len(sets)):
        for second in range(first + 1, len(sets)):
            assert not sets[first] & sets[second], (first, second)


def test_malformed_eval_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?", "abstain": true}\n{"question": "no gold"}\n')
    with pytest.raises(BadInputError, match=r"bad.jsonl:2"):
        load_items(bad)


@pytest.mark.parametrize("held_out", ["test_v2.jsonl", "unseen_v3.jsonl"])
def test_fitting_and_cross_validation_refuse_the_held_out_sets(held_out: str) -> None:
    """Weights and feature choices come from dev alone: the tools will not read a held-out set."""
    import subprocess
    import sys

    for tool in ("fit.py", "cv.py"):
        done = subprocess.run(
            [sys.executable, str(EVAL / tool), str(EVAL / held_out), "--data-dir", "nowhere"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and "refusing" in done.stderr, (tool, done.stderr[-300:])


def test_a_few_questions_either_way_are_noise() -> None:
    """The sign test cross-validation reports: 5 against 7 is a coin; 12 against 1 is not."""
    sign_test = _eval_module("cv").sign_test
    assert sign_test(5, 7) > 0.5
    assert sign_test(12, 1) < 0.01
    assert sign_test(0, 0) == 1.0


def _eval_module(name: str):  # type: ignore[no-untyped-def]
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(f"eval_{name}", EVAL / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"eval_{name}"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("signal", [True, False])
def test_the_question_level_threshold_keeps_its_budget_out_of_fold(signal: bool) -> None:
    """The abstention model refuses at most 2.5% of answerable dev questions, counted on
    out-of-fold scores; it refuses most unanswerable ones when a feature tells them apart, and
    promises nothing when none does."""
    import numpy as np

    from citedesk.answering.extractive import FEATURES

    fit = _eval_module("fit")
    rng = np.random.default_rng(7)
    data = []
    for number in range(400):
        abstain = number % 4 == 0
        features = rng.uniform(size=(30, len(FEATURES)))
        if signal:  # an answerable question's candidates hold the kind of answer asked for
            features[:, FEATURES.index("answer_type")] = 0.0 if abstain else 1.0
        gold = np.zeros(30, dtype=bool) if abstain else rng.uniform(size=30) < 0.1
        data.append(fit.Candidates(number, abstain, features, gold, vetoed=False))
    ranking = np.zeros(len(FEATURES) + 1)
    model = fit.fit_unanswered(data, ranking)
    assert model.answerable_refused <= fit.MAX_WRONG_REFUSALS + 1 / 300
    if signal:
        assert model.unanswerable_refused > 0.9
    else:
        assert model.unanswerable_refused < 0.15
