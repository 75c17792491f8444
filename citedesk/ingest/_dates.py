"""Find an article's publication date in its text, or say nothing.

Where pages and wire copy show it: a date opening one of the first lines ("August 14, 2025 14:47 IST"), a
"Published on ..." or "Updated ..." line, a dateline ("WASHINGTON, Jan 18 (Reuters) -") whose year
the text gives elsewhere, or, for stories built around embedded posts, the newest post's date
("— Name (@handle) November 8, 2017"). Never a guess: None when none of these is there.
"""

from __future__ import annotations

import re
import warnings
from datetime import date

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_YEAR = r"(?:19[9]\d|20[0-3]\d)"
_FULL_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}},?\s+{_YEAR}|\d{{1,2}}\s+{_MONTH},?\s+{_YEAR}|{_YEAR}-\d\d-\d\d)\b"
)
_LABELLED = re.compile(
    rf"\b(?:published|posted|updated|first published)\b(?:\s+on)?\s*[:\-–]?\s*(?:\w+,\s+)?"
    rf"(?P<date>{_FULL_DATE.pattern})",
    re.IGNORECASE,
)
_POST_SIGNATURE = re.compile(rf"\(@\w{{1,30}}\)\s+(?P<date>{_MONTH}\s+\d{{1,2}},\s+{_YEAR})")
_DATELINE = re.compile(
    rf"^[A-Z][A-Z .'-]{{2,40}},\s+(?P<date>{_MONTH}\s+\d{{1,2}})\s+\([A-Z][\w .]{{1,30}}\)\s+[-–—]"
)
_ANY_YEAR = re.compile(rf"\b{_YEAR}\b")
_HEAD_LINES = 3
# A date that opens one of the first lines: "August 14, 2025 14:47 IST", "Monday, 14 Aug 2025".
_LINE_START_DATE = re.compile(rf"\s*(?:[A-Z][a-z]+day,?\s+)?(?P<date>{_FULL_DATE.pattern})")


def iso_day(text: str, *, fuzzy: bool = False) -> str | None:
    """The day a date text names (YYYY-MM-DD), if it parses and is plausible for news."""
    from dateutil import parser

    try:
        # Only the day is kept, so a time zone dateutil does not know ("IST") is no matter: it
        # would otherwise print a warning for every such article.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", parser.UnknownTimezoneWarning)
            day = parser.parse(text, fuzzy=fuzzy).date()
    except (ValueError, OverflowError, TypeError):
        return None
    return day.isoformat() if date(1990, 1, 1) <= day <= date(2039, 12, 31) else None


def published_date(raw: str) -> str | None:
    """The publication date (YYYY-MM-DD) the text shows, or None."""
    for line in raw.lstrip().splitlines()[:_HEAD_LINES]:
        if match := _LINE_START_DATE.match(line):
            return iso_day(match.group("date"))
    if match := _LABELLED.search(raw):
        return iso_day(match.group("date"))
    if match := _DATELINE.match(raw.lstrip()):
        year = _ANY_YEAR.search(raw[:2000])
        return iso_day(f"{match.group('date')} {year.group()}") if year else None
    posts = [iso_day(m.group("date")) for m in _POST_SIGNATURE.finditer(raw)]
    dated = sorted(day for day in posts if day)
    return dated[-1] if dated else None
