"""The kind of quantity (or date) a question asks for, and whether a sentence states one.

"What interest rate was Trump paying on the loan?" wants a share, "How much did the tickets
cost?" a sum of money: candidates that name the loan or the tickets but no share or sum do not
answer, however close they are (checking an answer's type is an old part of question answering).
The shapes are lenient on purpose: a veto on them refuses only when no candidate states the kind
of thing asked at all ("How old is X?" passes with any number in sight).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from citedesk.vectorstore.terms import STOPWORDS, words

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|dozen"
)
_ANY_NUMBER = rf"\d[\d,.]*|\b(?:{_NUMBER_WORDS})\b"
# Each kind: how a question asks for it, and how a sentence that states one looks.
_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "age": (
        re.compile(
            r"\bhow old\b|\bwhat age\b|(?:'s|’s|\bhis|\bher|\btheir)(?: \w+)? age\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"{_ANY_NUMBER}|\bborn\b|\bteens?\b|\b(?:twen|thir|for|fif|six|seven|eigh|nine)ties\b",
            re.IGNORECASE,
        ),
    ),
    "share": (
        re.compile(r"\b(?:percentage|percent|per cent|proportion|interest rate)\b", re.IGNORECASE),
        re.compile(
            r"%|\bper ?cent\b|\bpercentage points?\b|\bbasis points?\b|\b(?:half|third|quarter)\b",
            re.IGNORECASE,
        ),
    ),
    "money": (
        re.compile(
            r"\bhow much\b.{0,60}\b(?:cost|costs|pay|paid|spend|spent|worth|fund|funding|budget|"
            r"salary|price|fine|loan|lose|lost|raise|raised|earn|earned|money)\b"
            r"|\bwhat (?:was|is|were) the (?:price|cost|salary|budget|fine|bill)\b",
            re.IGNORECASE,
        ),
        re.compile(
            r"[$€£₹]|\bRs\.?\s?\d|\b(?:dollars?|rupees?|euros?|pounds?|crores?|lakhs?|million|"
            r"billion|trillion|bn|mn|cents?)\b",
            re.IGNORECASE,
        ),
    ),
    "size": (
        re.compile(r"\bhow (?:tall|high|far|wide|deep|heavy)\b", re.IGNORECASE),
        re.compile(_ANY_NUMBER, re.IGNORECASE),
    ),
    "date": (
        re.compile(r"\b(?:what|which|exact) (?:date|day)\b|\bdate of birth\b", re.IGNORECASE),
        re.compile(
            r"\b(?:jan(?:uary)?|feb(?:ruary)?|march|april|may|june|july|aug(?:ust)?|"
            r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|wednesday|"
            r"thursday|friday|saturday|sunday|yesterday|today|tomorrow|tonight)\b"
            r"|\b\d{1,2}/\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)\b",
            re.IGNORECASE,
        ),
    ),
    "year": (
        # Not "what year-end target": a year-end is no year.
        re.compile(r"\b(?:what|which|in what) year\b(?!-)", re.IGNORECASE),
        re.compile(r"\b(?:1\d{3}|20\d\d)s?\b|\bcentury\b|\bdecades?\b|\byears? ago\b"),
    ),
}


def kinds_asked(question: str) -> list[str]:
    """The kinds the question asks for ("age", "share", "money", "size", "date", "year")."""
    return [kind for kind, (asks, _) in _KINDS.items() if asks.search(question)]


def states(kind: str, question: str, text: str) -> bool:
    """Whether the text states a quantity of this kind that the question does not already say
    ("$640 million" is no answer to "What rate was paid on the $640 million loan?")."""
    return says_anew(_KINDS[kind][1], question, text)


def says_anew(shape: re.Pattern[str], question: str, text: str) -> bool:
    """Whether the text holds a match of the shape that the question does not already say: in
    "When did the 2017 talks end?" 2017 is no answer, nor Tilak in "Who was Tilak's wife?"."""
    asked = set(words(question))
    for match in shape.finditer(text):
        content = {word for word in words(match.group()) if word not in STOPWORDS}
        if not content or not content <= asked:
            return True
    return False


def missing_quantity(question: str, texts: Iterable[str]) -> str | None:
    """A kind of quantity the question asks for that none of the texts states, or None."""
    candidates = list(texts)
    return next(
        (
            kind
            for kind in kinds_asked(question)
            if not any(states(kind, question, text) for text in candidates)
        ),
        None,
    )
