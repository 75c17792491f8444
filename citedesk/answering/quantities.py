"""The kind of quantity (or date) a question asks for, and whether a sentence states one.

"What interest rate was Trump paying on the loan?" wants a share, "How much did the tickets
cost?" a sum of money: candidates that name the loan or the tickets but no share or sum do not
answer, however close they are (checking an answer's type is an old part of question answering).

A question counts as asking only in a question's own form ("what percentage", "how much ...
cost", "how old"): "Why did the Fed raise the interest rate?" asks for no share. A sentence
states a quantity only as a number with its unit ("54 percent", "$640 million", "February 12"),
and only one the question does not already say. The answer shapes stay lenient where a unit is
often left out: any number will do for an age or a size. A count ("how many goals") is a number
beside the thing counted, or any number when people are counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from citedesk.vectorstore.terms import STOPWORDS, stem, words

NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|several"
)
MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?"
)
DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow"
# A number: digits, or a number word ("one" is too often no number: "one of the talks").
_NUMBER = rf"\b\d[\d,.]*|\b(?!one\b)(?:{NUMBER_WORDS})\b"
_SCALE = r"(?:\s?(?:million|billion|trillion|crores?|lakhs?|bn|mn|m|k))?"
_CURRENCY = r"dollars?|rupees?|euros?|pounds?|yen|yuan"


def _question(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Each kind: how a question asks for it, and how a sentence that states one looks.
_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "age": (
        _question(
            r"\bhow old\b|\b(?:at )?what age\b|\bwhat(?:'s| is| was) the age of\b"
            r"|\bwhat(?:'s| is| was) (?:[\w.-]+ ){0,3}?(?:his|her|their|[\w.-]+(?:'s|’s)) age\b"
        ),
        _question(
            rf"{_NUMBER}|\bborn\b|\bteens?\b|\b(?:twen|thir|for|fif|six|seven|eigh|nine)ties\b"
        ),
    ),
    "share": (
        _question(
            r"\b(?:what|which) (?:percentage|percent|per cent|proportion|fraction|share)\b"
            r"|\bhow many (?:percentage points|percent|per cent)\b"
            r"|\b(?:what|which|at what) (?:\w+ )?rate\b"
        ),
        _question(
            r"\b\d[\d,.]*\s?(?:%|per ?cent\b|pc\b|percentage points?\b|basis points?\b|bps\b)"
            r"|\b(?:half|halves|thirds?|quarters?)\b|\b(?:\d+|one|two|three|four|five) in \d+\b"
        ),
    ),
    "money": (
        _question(
            r"\bhow much (?:\w+ ){0,2}(?:money|cash|funding)\b"
            r"|\bhow much\b.{0,60}\b(?:cost|costs|costing|worth|pay|paid|salary|budget)\b"
            r"|\bwhat (?:was|is|were) the (?:price|cost|salary)\b"
            rf"|\bhow many (?:{_CURRENCY}|crores?|lakhs?)\b"
        ),
        _question(
            rf"[$€£₹]\s?\d[\d,.]*{_SCALE}|\bRs\.?\s?\d[\d,.]*{_SCALE}"
            rf"|(?:{_NUMBER}){_SCALE}\s(?:{_CURRENCY})\b"
            rf"|\b\d[\d,.]*\s?(?:million|billion|trillion|crores?|lakhs?|bn|mn)\b"
        ),
    ),
    "size": (
        _question(
            r"\bhow (?:tall|wide|heavy)\b"
            r"|\bwhat (?:is|was) the (?:height|length|width|weight|area|distance)\b"
        ),
        _question(_NUMBER),
    ),
    "date": (
        _question(r"\b(?:what|which|exact) (?:date|day)\b|\bdate of birth\b"),
        _question(
            rf"\b(?:{MONTHS})\.?\s\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?(?:{MONTHS})\b"
            rf"|\b(?:{DAYS}|tonight)\b|\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b"
            r"|\b\d{4}-\d{2}-\d{2}\b"
        ),
    ),
    "year": (
        # Not "what year-end target": a year-end is no year.
        _question(r"\b(?:what|which) year\b(?!-)"),
        _question(
            r"\b(?:1\d{3}|20\d\d)s?\b|\bcentury\b|\bdecades?\b|\byears? ago\b"
            r"|\b(?:last|this|next) year\b"
        ),
    ),
}


# A count: "How many goals did Paes score?" is answered by a number beside goals ("scored two
# goals", "goals: 3"), not by any number near his name ("the 1972 Olympics"). The thing counted
# is the words after "how many" up to its first plural ("how many Javelin missiles were ...");
# without one there ("how many died", "how many of them") the question names no thing and is
# not checked. (A lookahead: "how many days and how many km" counts both.)
_COUNTED = re.compile(
    r"\bhow many\s+(?:(?:more|other)\s+)?(?=((?:[\w'’-]+\s+){0,2}[\w'’-]+))", re.IGNORECASE
)
# Plurals without an s, and units, that a count may name.
_PLURALS = frozenset(
    {"people", "men", "women", "children", "police", "staff", "personnel", "crew", "km", "kg"}
)
_CARDINAL = re.compile(
    rf"{NUMBER_WORDS}|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|sixty"
    r"|seventy|eighty|ninety|hundreds|thousands|millions|billions|dozens|few|one|zero|no|none",
    re.IGNORECASE,
)
# Digits, and a unit glued to them: "3,500km".
_DIGITS = re.compile(r"\d[\d,.]*([a-z]*)", re.IGNORECASE)
# A number of times, whatever is counted ("he scored twice").
_TIMES = frozenset({"once", "twice", "thrice"})
# Words either side of a number that may name what it counts ("five major mass extinctions").
_COUNT_WINDOW = 4
# People are counted under many names ("12 were killed", "3,000 residents", "132 on board"): for
# these any number will do, as for an age.
_ANY_NUMBER = frozenset(
    stem(word)
    for word in (
        "people", "persons", "individuals", "humans", "civilians", "residents", "citizens",
        "victims", "casualties", "deaths", "passengers",
    )
)  # fmt: skip
# Words that are numbers only beside what they count ("no goals", "one of the talks").
_VAGUE = frozenset({"no", "none", "zero", "one", "few"})
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


@lru_cache(maxsize=64)
def _counts_asked(question: str) -> tuple[tuple[frozenset[str], str], ...]:
    """What each "how many" of the question counts: the stems of its words, and of its plural.
    (Cached: the veto asks for each of a question's best candidates.)"""
    asked: list[tuple[frozenset[str], str]] = []
    for match in _COUNTED.finditer(question):
        stems: set[str] = set()
        for word in words(match.group(1)):
            if word in STOPWORDS:
                break
            parts = [part for part in word.split("-") if len(part) > 1 and part not in STOPWORDS]
            stems.update(stem(part) for part in parts)  # "by-elections": elect
            stems.update(part[:-1] for part in parts if part[:-1].isdigit())  # "F-35s": 35
            if parts and (word in _PLURALS or (word.endswith("s") and len(word) > 3)):
                asked.append((frozenset(stems), stem(parts[-1])))
                break
    return tuple(asked)


def counted(question: str) -> frozenset[str]:
    """The stems of what a "how many" question counts ("how many Javelin missiles" -> javelin,
    missil); none when it names no thing ("how many of them", "how many died")."""
    return frozenset(stem for stems, _ in _counts_asked(question) for stem in stems)


def kinds_asked(question: str) -> list[str]:
    """The kinds the question asks for ("age", "share", "money", "size", "date", "year",
    "count")."""
    kinds = [kind for kind, (asks, _) in _KINDS.items() if asks.search(question)]
    # "how many percentage points" asks for a share, "how many dollars" for money.
    if not {"share", "money"} & set(kinds) and counted(question):
        kinds.append("count")
    return kinds


def states(kind: str, question: str, text: str) -> bool:
    """Whether the text states a quantity of this kind that the question does not already say
    ("$640 million" is no answer to "What rate was paid on the $640 million loan?")."""
    if kind == "count":
        return states_count(question, text)
    return says_anew(_KINDS[kind][1], question, text)


def states_count(question: str, text: str) -> bool:
    """Whether the text gives a number beside a thing the question counts (any number when
    that is people; "once", "twice", "thrice" for anything)."""
    asked = _counts_asked(question)
    if not asked:
        return False
    things = frozenset(stem for stems, _ in asked for stem in stems)
    people = any(head in _ANY_NUMBER for _, head in asked)
    tokens = _TOKEN.findall(text)
    stems: list[str] | None = None
    for at, token in enumerate(tokens):
        lower = token.lower()
        digits = _DIGITS.fullmatch(lower)
        if not (digits or lower in _TIMES or _CARDINAL.fullmatch(lower)):
            continue
        if lower in _TIMES or (people and lower not in _VAGUE):
            return True
        if stems is None:
            stems = [stem(word.lower()) for word in tokens]
        near = set(stems[max(0, at - _COUNT_WINDOW) : at + _COUNT_WINDOW + 1])
        if digits and digits.group(1):
            near.add(stem(digits.group(1)))  # "3,500km"
        if things & near:
            return True
    return False


def says_anew(shape: re.Pattern[str], question: str, text: str) -> bool:
    """Whether the text holds a match of the shape that the question does not already say: in
    "When did the 2017 talks end?" 2017 is no answer, nor Tilak in "Who was Tilak's wife?"."""
    asked = _words_of(question)
    for match in shape.finditer(text):
        content = {word for word in words(match.group()) if word not in STOPWORDS}
        if not content or not content <= asked:
            return True
    return False


@lru_cache(maxsize=64)
def _words_of(question: str) -> frozenset[str]:
    # Once per question, not once per candidate sentence: scoring asks for every one of them.
    return frozenset(words(question))


def missing_quantity(question: str, texts: Iterable[str], said: str = "") -> str | None:
    """A kind of quantity the question asks for that none of the texts states, or None.

    `said` is what else the conversation had put to the articles (a follow-up's context):
    no kind is asked in it, but a quantity it already says is no answer either."""
    candidates = list(texts)
    context = f"{question} {said}"
    return next(
        (
            kind
            for kind in kinds_asked(question)
            if not any(states(kind, context, text) for text in candidates)
        ),
        None,
    )
