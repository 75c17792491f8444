"""Score the engine on an evaluation set: hit rate, MRR and abstain accuracy.

Each JSONL line is {"question": str, "gold": [phrases]} for an answerable question (a hit is a
citation whose quote contains any gold phrase) or {"question": str, "abstain": true}. An optional
"history": [questions] is asked first, in the same conversation.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field, ValidationError

from citedesk.answering.models import Answer, Turn
from citedesk.errors import BadInputError


class Asker(Protocol):
    """Anything that answers a question in a conversation: the Desk, or an AnswerEngine."""

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...


class EvalItem(BaseModel):
    question: str
    gold: list[str] = Field(default_factory=list)
    abstain: bool = False
    history: list[str] = Field(default_factory=list)


class EvalResult(BaseModel):
    question: str
    expected_abstain: bool
    abstained: bool
    rank: int | None = Field(None, description="1-based citation that holds a gold phrase.")


class EvalReport(BaseModel):
    items: int
    answerable: int
    hit_rate: float
    mrr: float
    abstain_accuracy: float
    results: list[EvalResult]

    def summary(self) -> dict[str, Any]:
        return self.model_dump(exclude={"results"})


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    for fancy, plain in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(fancy, plain)
    return " ".join(text.split())


def load_items(path: Path) -> list[EvalItem]:
    """Read an evaluation set, naming the line of any malformed entry."""
    if not path.is_file():
        raise BadInputError(f"{path}: no such evaluation file")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = EvalItem.model_validate_json(line)
        except ValidationError as exc:
            raise BadInputError(
                f"{path}:{number}: not an evaluation item ({exc.errors()[0]['msg']})"
            ) from exc
        if not item.abstain and not item.gold:
            raise BadInputError(f'{path}:{number}: give gold phrases or "abstain": true')
        items.append(item)
    if not items:
        raise BadInputError(f"{path}: the evaluation file has no items")
    return items


def gold_rank(answer: Answer, gold: list[str]) -> int | None:
    phrases = [_fold(phrase) for phrase in gold]
    for citation in answer.citations:
        quote = _fold(citation.quote)
        if any(phrase in quote for phrase in phrases):
            return citation.n
    return None


def evaluate(engine: Asker, items: list[EvalItem]) -> EvalReport:
    results = []
    for item in items:
        history: list[Turn] = []
        for earlier in item.history:
            history.append(Turn.from_answer(engine.ask(earlier, history)))
        answer = engine.ask(item.question, history)
        rank = None if item.abstain else gold_rank(answer, item.gold)
        results.append(
            EvalResult(
                question=item.question,
                expected_abstain=item.abstain,
                abstained=answer.abstained,
                rank=rank,
            )
        )
    answerable = [r for r in results if not r.expected_abstain]
    hits = [r for r in answerable if r.rank is not None]
    return EvalReport(
        items=len(results),
        answerable=len(answerable),
        hit_rate=round(len(hits) / len(answerable), 4) if answerable else 0.0,
        mrr=round(sum(1 / r.rank for r in hits if r.rank) / len(answerable), 4)
        if answerable
        else 0.0,
        abstain_accuracy=round(
            sum(r.abstained == r.expected_abstain for r in results) / len(results), 4
        ),
        results=results,
    )


def report_json(report: EvalReport) -> str:
    return json.dumps(report.summary())
