"""The evaluation sets as a regression guard (thresholds a little under today's figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from citedesk.answering import AnswerEngine
from citedesk.answering.evaluation import evaluate, load_items
from citedesk.errors import BadInputError
from citedesk.paths import PROJECT_ROOT


def test_dev_set_scores(engine: AnswerEngine) -> None:
    report = evaluate(engine, load_items(PROJECT_ROOT / "eval" / "dev.jsonl"))
    assert report.items >= 35
    assert report.hit_rate >= 0.95 and report.mrr >= 0.9 and report.abstain_accuracy >= 0.95


def test_held_out_set_scores(engine: AnswerEngine) -> None:
    """Never tuned on: it tells how the engine does on questions it was not shaped for."""
    report = evaluate(engine, load_items(PROJECT_ROOT / "eval" / "heldout.jsonl"))
    assert report.hit_rate >= 0.85 and report.mrr >= 0.8 and report.abstain_accuracy >= 0.85


def test_malformed_eval_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?", "abstain": true}\n{"question": "no gold"}\n')
    with pytest.raises(BadInputError, match=r"bad.jsonl:2"):
        load_items(bad)
