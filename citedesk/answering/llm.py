"""Optional: an OpenAI-compatible LLM writes the answer; every citation is checked.

The model sees only numbered passages (verified quotes) and must cite them as [n]. What comes
back is kept sentence by sentence, and only if the sentence cites a passage that was given and
any text it puts in quotation marks appears, to the letter, in a passage it cites. A reply of
NO_ANSWER abstains. If nothing survives, or the API fails, the extractive answer stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import httpx

from citedesk.answering.models import CITATION_MARKER
from citedesk.errors import CitedeskError
from citedesk.settings import Settings
from citedesk.text import sentence_spans

NO_ANSWER = "NO_ANSWER"
_QUOTED = re.compile(r"[\"“]([^\"”]{12,})[\"”]")

SYSTEM_PROMPT = (
    "You answer questions about news articles using only the numbered passages given. "
    "Cite every sentence with the passage numbers it relies on, like [1] or [2][3]. "
    "Do not use outside knowledge. If the passages do not answer the question, reply exactly "
    f"{NO_ANSWER}."
)


class LLMError(CitedeskError):
    """The LLM API could not be used for this answer."""


class ChatModel(Protocol):
    """Anything that turns chat messages into a reply."""

    def complete(self, messages: list[dict[str, str]]) -> str: ...


class OpenAICompatibleChat:
    """POST /chat/completions to Ollama, vLLM, llama.cpp server, OpenAI and the like."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        headers = (
            {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        )
        self._client = httpx.Client(
            base_url=settings.llm_base_url.rstrip("/"),
            timeout=settings.llm_timeout_seconds,
            headers=headers,
            transport=transport,
        )
        self._model = settings.llm_model

    def complete(self, messages: list[dict[str, str]]) -> str:
        payload = {"model": self._model, "messages": messages, "temperature": 0}
        try:
            response = self._client.post("/chat/completions", json=payload)
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"] or "")
        except (httpx.HTTPError, KeyError, IndexError, ValueError, TypeError) as exc:
            raise LLMError(f"the LLM API failed: {exc.__class__.__name__}: {exc}") from exc


def prompt(question: str, passages: Sequence[str]) -> list[dict[str, str]]:
    numbered = "\n\n".join(f"[{n}] {text}" for n, text in enumerate(passages, start=1))
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"},
    ]


def checked_answer(reply: str, passages: Sequence[str]) -> tuple[str, list[int]] | None:
    """Keep the sentences whose citations and quotations the passages bear out.

    Returns (text, passage numbers in order of first citation); ("", []) when the model says
    NO_ANSWER; None when no sentence survives.
    """
    reply = reply.strip()
    if reply.strip(". ").upper() == NO_ANSWER:
        return "", []
    kept: list[str] = []
    used: list[int] = []
    for start, end in sentence_spans(reply):
        sentence = reply[start:end].strip()
        cited = [int(n) for n in CITATION_MARKER.findall(sentence)]
        if not cited or any(not 1 <= n <= len(passages) for n in cited):
            continue  # uncited, or citing a passage that was never given
        sources = " ".join(passages[n - 1] for n in cited)
        if any(quote not in sources for quote in _QUOTED.findall(sentence)):
            continue  # a quotation the cited passages do not contain
        kept.append(sentence)
        used.extend(n for n in cited if n not in used)
    return (" ".join(kept), used) if kept else None
