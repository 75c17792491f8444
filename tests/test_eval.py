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


def test_the_test_split_is_frozen() -> None:
    """A change to the test split needs its new hash in the README, with the reason beside it."""
    digest = hashlib.sha256((EVAL / "test_v2.jsonl").read_bytes()).hexdigest()
    assert digest in README.read_text(), (
        f"eval/test_v2.jsonl changed (sha256 {digest}); it is frozen: put the new hash in the "
        "README's 'Evaluation' section and say why it changed"
    )


def test_the_splits_do_not_share_questions() -> None:
    dev = {(item.question, tuple(item.history)) for item in load_items(EVAL / "dev_v2.jsonl")}
    test = {(item.question, tuple(item.history)) for item in load_items(EVAL / "test_v2.jsonl")}
    assert not dev & test


def test_malformed_eval_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?", "abstain": true}\n{"question": "no gold"}\n')
    with pytest.raises(BadInputError, match=r"bad.jsonl:2"):
        load_items(bad)
