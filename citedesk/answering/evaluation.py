"""Score answers on an evaluation set: hit rate, MRR and abstain accuracy, per category.

Each JSONL line is {"question": str, "gold": [phrases]} for an answerable question (a hit is a
citation whose quote contains any gold phrase) or {"question": str, "abstain": true}. Optional:
"history": [questions] asked first in the same conversation, "category" and "corpus" for the
breakdown, and "asked_on": "YYYY-MM-DD", the day the question is asked (for "yesterday").

Beside a set, `<name>.judged.jsonl` may hold pooled judgments: {"id": str, "phrases": [str]} for
quotes from other articles that an assessor, shown the question and the quote but not the system
that chose it, judged to answer the question (other outlets report the same story in other words,
so a gold phrase written from one article misses them). A quote holding one counts as a hit; an
unanswerable question answered by one was answered, not wrongly. Every score is also given
"strict": on the set's own gold phrases alone.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citedesk.answering.models import Answer, Turn
from citedesk.errors import BadInputError


class Asker(Protocol):
    """Anything that answers a question in a conversation: the Desk, or an AnswerEngine."""

    def ask(
        self, question: str, history: Sequence[Turn] = (), *, today: date | None = None
    ) -> Answer: ...


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = ""
    question: str
    gold: list[str] = Field(default_factory=list)
    abstain: bool = False
    history: list[str] = Field(default_factory=list)
    category: str = "all"
    corpus: str = ""
    articles: list[str] = Field(default_factory=list)
    asked_on: date | None = None
    judged: list[str] = Field(
        default_factory=list,
        description="Phrases of other articles' quotes judged to answer the question (pooled).",
    )

    @property
    def answers(self) -> list[str]:
        """Every phrase that makes a quote an answer: the gold ones and the judged ones."""
        return [*self.gold, *self.judged]


class EvalResult(BaseModel):
    id: str = ""
    question: str
    category: str = "all"
    corpus: str = ""
    expected_abstain: bool
    abstained: bool
    rank: int | None = Field(
        None, description="1-based citation that holds a gold (or judged) phrase."
    )
    strict_rank: int | None = Field(None, description="The same, by gold phrases alone.")
    answered_as_judged: bool = Field(
        False, description="An unanswerable item answered with a quote judged to answer it."
    )

    @property
    def correct(self) -> bool:
        if self.expected_abstain:
            return self.abstained or self.answered_as_judged
        return self.rank is not None


class Scores(BaseModel):
    items: int
    answerable: int
    hit_rate: float | None = Field(None, description="Answerable items with a gold citation.")
    mrr: float | None = None
    abstain_accuracy: float = Field(description="Items where abstaining was right or wrong.")
    wrongly_refused: float | None = Field(None, description="Answerable items that abstained.")
    strict_hit_rate: float | None = Field(None, description="The hit rate by gold phrases alone.")
    strict_abstain_accuracy: float = Field(0.0, description="The same without judged answers.")
    unanswerable_refused: float | None = Field(
        None,
        description="Unanswerable items refused, of those not answered with a judged answer.",
    )


class EvalReport(BaseModel):
    items: int
    answerable: int
    hit_rate: float
    mrr: float
    abstain_accuracy: float
    overall: Scores
    by_category: dict[str, Scores] = Field(default_factory=dict)
    by_corpus: dict[str, Scores] = Field(default_factory=dict)
    results: list[EvalResult]

    def summary(self) -> dict[str, Any]:
        return self.model_dump(exclude={"results"})


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    for fancy, plain in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(fancy, plain)
    return " ".join(text.split())


def load_items(path: Path) -> list[EvalItem]:
    """Read an evaluation set, naming the line of any malformed entry, with the judged answers
    beside it (`judged_path`) if there are any."""
    items = [_item(line, where) for line, where in _lines(path, "evaluation file")]
    if not items:
        raise BadInputError(f"{path}: the evaluation file has no items")
    judged = judged_path(path)
    if not judged.is_file():
        return items
    found: dict[str, list[str]] = {}
    for line, where in _lines(judged, "judgments file"):
        judgment = _parsed(_Judgment, line, where, "a judgment")
        found.setdefault(judgment.id, []).extend(judgment.phrases)
    if unknown := found.keys() - {item.id for item in items}:
        raise BadInputError(
            f"{judged}: judgments of items {path.name} does not hold: {sorted(unknown)}"
        )
    return [
        item.model_copy(update={"judged": found[item.id]}) if item.id in found else item
        for item in items
    ]


def judged_path(path: Path) -> Path:
    """Where the pooled judgments of an evaluation set are kept: `<name>.judged.jsonl`."""
    return path.with_name(f"{path.stem}.judged.jsonl")


def _lines(path: Path, what: str) -> list[tuple[str, str]]:
    """The file's non-blank lines, each with where it is ("file:line")."""
    if not path.is_file():
        raise BadInputError(f"{path}: no such {what}")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        (line, f"{path}:{number}") for number, line in enumerate(lines, start=1) if line.strip()
    ]


_Parsed = TypeVar("_Parsed", bound=BaseModel)


def _parsed(model: type[_Parsed], line: str, where: str, what: str) -> _Parsed:
    try:
        return model.model_validate_json(line)
    except ValidationError as exc:
        raise BadInputError(f"{where}: not {what} ({exc.errors()[0]['msg']})") from exc


def _item(line: str, where: str) -> EvalItem:
    item = _parsed(EvalItem, line, where, "an evaluation item")
    if not item.abstain and not item.gold:
        raise BadInputError(f'{where}: give gold phrases or "abstain": true')
    return item


class _Judgment(BaseModel):
    id: str
    phrases: list[str] = Field(min_length=1)


def holds_gold(text: str, gold: Sequence[str]) -> bool:
    """Say whether a quote contains any gold phrase (case, spacing and quote marks folded)."""
    folded = _fold(text)
    return any(_fold(phrase) in folded for phrase in gold)


def gold_rank(answer: Answer, gold: list[str]) -> int | None:
    for citation in answer.citations:
        if holds_gold(citation.quote, gold):
            return citation.n
    return None


def conversation(asker: Asker, item: EvalItem) -> list[Turn]:
    """Ask an item's earlier questions; return the turns its question follows."""
    history: list[Turn] = []
    for earlier in item.history:
        history.append(Turn.from_answer(asker.ask(earlier, history, today=item.asked_on)))
    return history


def score(results: Sequence[EvalResult]) -> Scores:
    answerable = [r for r in results if not r.expected_abstain]
    hits = [r for r in answerable if r.rank is not None]
    count = len(answerable)
    unanswerable = [r for r in results if r.expected_abstain and not r.answered_as_judged]

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return Scores(
        items=len(results),
        answerable=count,
        hit_rate=share(len(hits), count),
        mrr=round(sum(1 / r.rank for r in hits if r.rank) / count, 4) if count else None,
        abstain_accuracy=share(sum(_decided_rightly(r) for r in results), len(results)) or 0.0,
        wrongly_refused=share(sum(r.abstained for r in answerable), count),
        strict_hit_rate=share(sum(r.strict_rank is not None for r in answerable), count),
        strict_abstain_accuracy=share(
            sum(_decided_rightly(r, strict=True) for r in results), len(results)
        )
        or 0.0,
        unanswerable_refused=share(sum(r.abstained for r in unanswerable), len(unanswerable)),
    )


def _decided_rightly(result: EvalResult, *, strict: bool = False) -> bool:
    """Whether answering (or abstaining) was right, whatever was quoted."""
    if result.expected_abstain:
        return result.abstained or (result.answered_as_judged and not strict)
    return not result.abstained


def evaluate(asker: Asker, items: list[EvalItem]) -> EvalReport:
    results = []
    for item in items:
        history = conversation(asker, item)
        answer = asker.ask(item.question, history, today=item.asked_on)
        results.append(
            EvalResult(
                id=item.id,
                question=item.question,
                category=item.category,
                corpus=item.corpus,
                expected_abstain=item.abstain,
                abstained=answer.abstained,
                rank=None if item.abstain else gold_rank(answer, item.answers),
                strict_rank=None if item.abstain else gold_rank(answer, item.gold),
                answered_as_judged=item.abstain and gold_rank(answer, item.judged) is not None,
            )
        )
    overall = score(results)
    categories = sorted({r.category for r in results})
    corpora = sorted({r.corpus for r in results if r.corpus})
    return EvalReport(
        items=overall.items,
        answerable=overall.answerable,
        hit_rate=overall.hit_rate or 0.0,
        mrr=overall.mrr or 0.0,
        abstain_accuracy=overall.abstain_accuracy,
        overall=overall,
        by_category={c: score([r for r in results if r.category == c]) for c in categories},
        by_corpus={c: score([r for r in results if r.corpus == c]) for c in corpora},
        results=results,
    )


def report_json(report: EvalReport) -> str:
    return json.dumps(report.summary())
