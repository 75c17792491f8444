"""Sentence spans over a text, shared by the chunker and the answering engine."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import nltk
from nltk.tokenize.punkt import PunktTokenizer

_PARAGRAPH = re.compile(r"[^\n]+")


@lru_cache(maxsize=1)
def _punkt() -> PunktTokenizer:
    # llama-index ships the punkt tables, so nothing is downloaded at run time.
    import llama_index.core

    cache = Path(llama_index.core.__file__).parent / "_static" / "nltk_cache"
    if str(cache) not in nltk.data.path:
        nltk.data.path.insert(0, str(cache))
    return PunktTokenizer("english")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of every sentence; no sentence crosses a line break."""
    spans: list[tuple[int, int]] = []
    tokenizer = _punkt()
    for paragraph in _PARAGRAPH.finditer(text):
        base = paragraph.start()
        for start, end in tokenizer.span_tokenize(paragraph.group()):
            if text[base + start : base + end].strip():
                spans.append((base + start, base + end))
    return spans
