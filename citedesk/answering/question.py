"""Tidy a question as people type it: markup, emoji, stray symbols and shouting removed.

Only what cannot carry meaning for retrieval goes; words, names, numbers and apostrophes stay.
"""

from __future__ import annotations

import html
import re
import unicodedata

from citedesk.vectorstore.terms import english_words

_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_SPACES = re.compile(r"\s+")
_REPEATED_PUNCTUATION = re.compile(r"([?!.,])\1+")
_KEEP = {"'", "’", "-", "?", ".", ",", "!", "%", "$", "€", "£", ":", "/", "&"}
# Chat spellings of question words, spelled out so that both retrievers can match them.
_CHAT_WORDS = {
    "abt": "about", "ppl": "people", "wat": "what", "wot": "what", "whats": "what's",
    "u": "you", "ur": "your", "r": "are", "govt": "government", "b4": "before", "bc": "because",
    "cuz": "because", "coz": "because", "yr": "year", "yrs": "years", "thx": "thanks",
    "w/": "with", "w/o": "without", "tho": "though", "thru": "through",
    "diff": "difference", "info": "information", "pic": "picture", "pics": "pictures",
    "msg": "message", "smth": "something", "sth": "something", "prez": "president",
    "intl": "international", "dept": "department",
    # Days matter: "yesterday" and "today" are resolved against the articles' dates.
    "yday": "yesterday", "ystd": "yesterday", "2day": "today", "tmrw": "tomorrow",
    "tmr": "tomorrow", "2moro": "tomorrow", "bday": "birthday",
    # Not "wanna" -> "want to" or "gonna" -> "going to": an answer seldom says "want" or
    # "going", and words a question adds must be matched (on dev it cost two questions). Not
    # "n" (and, or North: "n korea") nor "rn" (right now, or a nurse).
}  # fmt: skip
# A letter typed three times or more ("soooo", "whyyy", "goood"), cut when that gives an English
# word; roman numerals ("wwiii", "xviii") and names stay as typed.
_STRETCHED = re.compile(r"\b[a-z]*([a-z])\1\1[a-z]*\b", re.IGNORECASE)
_RUN = re.compile(r"([a-z])\1{2,}", re.IGNORECASE)
_ROMAN = re.compile(r"[ivxlcdm]+", re.IGNORECASE)
# Lower case and standing alone only: "US", "R&D" and "Plan B4" are left as they are.
_CHAT_WORD = re.compile(
    r"(?<!\S)("
    + "|".join(re.escape(w) for w in sorted(_CHAT_WORDS, key=len, reverse=True))
    + r")(?=[\s?!.,:;]|$)"
)
# Greetings and fillers that open or close a chat message and carry no question.
_OPENING_FILLER = re.compile(
    r"^(?:(?:hey|hi+|hello|ok(?:ay)?|so|like|uh+|um+|hmm+|well|quick q(?:uestion)?|bot|lol)\b[\s,.:!-]*)+",
    re.IGNORECASE,
)
_CLOSING_FILLER = re.compile(
    r"(?:[\s,.]*\b(?:lol|lmao|pls|plz|please|thx|thanks)\b[\s.!]*)+$", re.I
)


def _is_noise(char: str) -> bool:
    if char.isalnum() or char.isspace() or char in _KEEP:
        return False
    category = unicodedata.category(char)
    # Symbols (emoji, arrows), other punctuation (quotes, brackets, #*) and control characters.
    return category[0] in "SPC"


def _unstretched(word: str) -> str:
    """The word with each run of one letter cut to two if that makes an English word ("goood"
    -> "good"), else to one if that does ("Soooo" -> "So", "whyyy" -> "why"), else as typed."""
    if _ROMAN.fullmatch(word) or len(set(word.lower())) == 1:  # "wwww", "aaa"
        return word
    for cut in (r"\1\1", r"\1"):
        shorter = _RUN.sub(cut, word)
        if shorter.lower() in english_words():
            return shorter
    return word


def normalize_question(text: str) -> str:
    """Return the question without markup and symbols, whitespace folded."""
    text = html.unescape(_TAG.sub(" ", text))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if _is_noise(char) else char for char in text)
    text = _REPEATED_PUNCTUATION.sub(r"\1", text)
    text = _SPACES.sub(" ", text).strip()
    text = _STRETCHED.sub(lambda match: _unstretched(match.group()), text)
    text = _CHAT_WORD.sub(lambda match: _CHAT_WORDS[match.group(1)], text)
    # Keep the message as it was if it is nothing but filler ("thanks", "ok").
    trimmed = _CLOSING_FILLER.sub("", _OPENING_FILLER.sub("", text)).strip()
    return trimmed if any(char.isalnum() for char in trimmed) else text
