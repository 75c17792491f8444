"""Resolve "yesterday", "on Tuesday", "the latest" in a question against article dates.

A question asked on a given day (today, unless the caller says otherwise) may name a day
relative to it, or ask for the most recent news. The result says which publication dates match
the named day, and whether newer articles should win among equally good evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(?:on\s+|last\s+)?(" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)
_YESTERDAY = re.compile(r"\byesterday\b", re.IGNORECASE)
_TODAY = re.compile(r"\b(today|this morning|tonight)\b", re.IGNORECASE)
_RECENT = re.compile(
    r"\b(latest|most recent|newest|recent(?:ly)?|current(?:ly)?|updates?)\b",
    re.IGNORECASE,
)
# A news report says "on Tuesday" for a day up to a week before it was published.
REPORT_LAG_DAYS = 6


@dataclass(frozen=True)
class TimeFrame:
    """What a question says about time."""

    day: date | None = None  # the day the question asks about
    weekday: str | None = None  # how articles would name that day ("Tuesday")
    prefer_recent: bool = False

    def matches(self, published: str | None, text: str) -> bool:
        """Say whether a sentence from an article published then is about the named day."""
        if self.day is None or not published:
            return False
        try:
            when = date.fromisoformat(published[:10])
        except ValueError:
            return False
        if when == self.day:
            return True
        lag = (when - self.day).days
        if not 0 < lag <= REPORT_LAG_DAYS:
            return False
        lowered = text.lower()
        if lag == 1 and "yesterday" in lowered:
            return True
        return bool(self.weekday and self.weekday.lower() in lowered)


def time_frame(question: str, today: date) -> TimeFrame:
    """Return what the question says about time, relative to the day it is asked."""
    recent = bool(_RECENT.search(question))
    if _YESTERDAY.search(question):
        day = today - timedelta(days=1)
        return TimeFrame(day, _WEEKDAYS[day.weekday()].title(), recent)
    if match := _WEEKDAY.search(question):
        index = _WEEKDAYS.index(match.group(1).lower())
        back = (today.weekday() - index) % 7
        return TimeFrame(today - timedelta(days=back), match.group(1).title(), recent)
    if _TODAY.search(question):
        return TimeFrame(today, _WEEKDAYS[today.weekday()].title(), recent)
    return TimeFrame(prefer_recent=recent)
