"""Tidy a question as people type it: markup, emoji, stray symbols and shouting removed.

Only what cannot carry meaning for retrieval goes; words, names, numbers and apostrophes stay.
"""

from __future__ import annotations

import html
import re
import unicodedata

_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_SPACES = re.compile(r"\s+")
_REPEATED_PUNCTUATION = re.compile(r"([?!.,])\1+")
_KEEP = {"'", "’", "-", "?", ".", ",", "!", "%", "$", "€", "£", ":", "/", "&"}


def _is_noise(char: str) -> bool:
    if char.isalnum() or char.isspace() or char in _KEEP:
        return False
    category = unicodedata.category(char)
    # Symbols (emoji, arrows), other punctuation (quotes, brackets, #*) and control characters.
    return category[0] in "SPC"


def normalize_question(text: str) -> str:
    """Return the question without markup and symbols, whitespace folded."""
    text = html.unescape(_TAG.sub(" ", text))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if _is_noise(char) else char for char in text)
    text = _REPEATED_PUNCTUATION.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()
