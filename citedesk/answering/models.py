"""What the engine returns: an answer, its citations, and a conversation's turns."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

# How an answer refers to its citations: [1], [2] ...
CITATION_MARKER = re.compile(r"\[(\d+)\]")


class Citation(BaseModel):
    """One verbatim quote from one stored article."""

    n: int = Field(description="Citation number as it appears in the answer, from 1.")
    source: str = Field(description="Where the article came from: URL or file name.")
    title: str
    quote: str = Field(description="Exact text of the stored article at [start, end).")
    score: float = Field(description="Evidence score of the quote for the question.")
    article_id: str
    start: int
    end: int
    outlet: str | None = None
    published: str | None = Field(
        None, description="The article's publication date (YYYY-MM-DD), when known."
    )

    def public(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "published": self.published,
            "quote": self.quote,
            "score": round(self.score, 4),
        }


class Answer(BaseModel):
    """An answer whose every sentence is a cited quote, or a plain abstention."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = Field(default_factory=list)
    resolved_question: str | None = Field(
        None, description="The question as searched, after resolving references to earlier turns."
    )
    written_by: str = Field(
        "extractive", description="'extractive' (verbatim quotes) or 'llm' (checked citations)."
    )

    def public(self) -> dict[str, Any]:
        """Return the documented --json shape."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [citation.public() for citation in self.citations],
        }


class Turn(BaseModel):
    """One question and its answer, kept for follow-ups."""

    question: str
    resolved_question: str
    quotes: list[str] = Field(default_factory=list)
    article_ids: list[str] = Field(
        default_factory=list, description="The cited articles, in citation order, without repeats."
    )

    @classmethod
    def from_answer(cls, answer: Answer) -> Turn:
        return cls(
            question=answer.question,
            resolved_question=answer.resolved_question or answer.question,
            quotes=[citation.quote for citation in answer.citations],
            article_ids=list(dict.fromkeys(c.article_id for c in answer.citations)),
        )
