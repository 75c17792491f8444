"""Strip site boilerplate from scraped article text and read the metadata it shows.

The rules are general shapes of web pages (comment forms, share widgets, video-player notices,
related-article lists, photo captions and credits, breadcrumbs), not phrases of particular files.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from citedesk.ingest._dates import iso_day

# Prose lines end a sentence: . ! ? or an ellipsis, possibly inside closing quotes/brackets.
_SENTENCE_END = re.compile(r"[.!?…](?:\s?[\"'”’»)\]])*\s*$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# Whole lines that are widgets, forms or notices rather than reporting.
_BOILERPLATE = re.compile(
    r"""^\s*(?:
        share\s+this|like\s+this|share\s+(?:on|via)\b.*|tweet|email|print|whatsapp|facebook|
        leave\s+a\s+(?:reply|comment)|comments?(?:\s+are\s+closed\.?)?|\d+\s+comments?|
        post\s+a\s+comment.*|add\s+a\s+comment.*|
        your\s+email\s+address\s+will\s+not\s+be\s+published.*|required\s+fields\s+are\s+marked.*|
        this\s+site\s+uses\s+akismet.*|learn\s+how\s+your\s+comment\s+data.*|
        %d\s+bloggers\s+like\s+this.*|be\s+the\s+first\s+to\s+like\s+this.*|loading\.*|
        (?:this\s+)?video\s+(?:can\s*not|cannot|could\s+not)\s+be\s+played.*|
        to\s+play\s+this\s+video.*|.*enable\s+javascript.*|
        advertisement|sponsored(?:\s+content)?|skip\s+to\s+(?:main\s+)?content|
        (?:sign\s+up|subscribe)\b.*newsletter.*|.*\bnewsletter\b.*\b(?:sign\s+up|subscribe)\b.*|
        follow\s+us\b.*|click\s+here\b.*|read\s+more\.*|continue\s+reading\.*|
        .*\ball\s+rights\s+reserved\b.*|(?:©|copyright\b).*|
        .*\bcan\s+also\s+be\s+accessed\s+at\b.*|.*\bcookies?\b.*\b(?:accept|consent|policy)\b.*
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Headings that open a list of links to other articles; the list's lines follow them.
_RELATED_HEADING = re.compile(
    r"""^\s*(?:
        (?:products|articles|stories|posts|videos|news)\s+you\s+may\s+(?:like|have\s+missed)|
        you\s+may\s+(?:also\s+)?like|related(?:\s+(?:articles?|stories|news|posts|coverage|topics))?|
        (?:more|latest|top|trending|recommended|popular|most\s+read)(?:\s+(?:stories|news|articles|posts|from\s+.+))?|
        read\s+(?:also|next)|see\s+also|recommended\s+for\s+you
    )\s*:?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

# A caption or credit ends with a parenthesised source: "(AFP photo)", "(Photo by Reuters)".
_CREDIT = re.compile(
    r"\((?:[^()]*\b(?:photos?|images?|pictures?|credit|getty|afp|reuters|ap|epa|file|"
    r"courtesy|via|sites?|shutterstock|video)\b[^()]*)\)\s*$",
    re.IGNORECASE,
)
_BREADCRUMB = re.compile(r"^\s*[^/>|»]{1,40}(?:\s+[/>|»]\s+[^/>|»]{1,40}){1,}\s*$")
_OUTLET = re.compile(
    r"^\s*(?P<name>[A-Z][\w&.\- ]{1,40}?)['’]s\s+website\b|^\s*(?:©|copyright)\s*(?:\d{4}\s*)?"
    r"(?P<name2>[A-Z][\w&.\- ]{1,40}?)\s*(?:\.|all\s+rights|$)",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    r"^\s*(?:published|posted|updated|first\s+published|date)\s*(?:on|:)?\s*(?P<date>.{6,60})$",
    re.IGNORECASE,
)
_DATE_ONLY = re.compile(
    r"^\s*(?:\w+,\s+)?(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"\s+(?:\d{1,2},?\s+)?\d{4}\b.{0,20}$|^\s*\d{4}-\d{2}-\d{2}(?:[T ][\d:]+Z?)?\s*$",
    re.IGNORECASE,
)
_TITLE_MAX_WORDS = 30
_LONG_LINE_WORDS = 25
# A sentence ending inside a line: ". The", "? But", "!” He".
_SENTENCE_INSIDE = re.compile(r"[.!?…][\"'”’»)\]]*\s+[\"“‘(]?[A-Z]")
# With no prose at all, lines of at least this many words are kept rather than losing the story.
_FALLBACK_LINE_WORDS = 8
_TITLE_FROM_SENTENCE_CHARS = 90


@dataclass(frozen=True)
class CleanArticle:
    """An article's reporting text and the metadata the page showed."""

    title: str
    text: str
    outlet: str | None
    published: str | None


def normalize(raw: str) -> str:
    """Return NFC text with unix line breaks and single spaces inside lines."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\ufeff", "")
    return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def is_prose(line: str) -> bool:
    """Say whether a line reads as reporting: sentences, ending as a sentence ends.

    A long line that holds several sentences is reporting even when it ends raggedly (a
    paragraph followed on the same line by a tweet embed, a link or a photo credit).
    """
    words = len(_words(line))
    if _SENTENCE_END.search(line):
        return words >= 4
    return words >= _LONG_LINE_WORDS and len(_SENTENCE_INSIDE.findall(line)) >= 2


def _iso_date(text: str) -> str | None:
    return iso_day(text, fuzzy=True)


def _outlet(line: str) -> str | None:
    match = _OUTLET.search(line)
    if not match:
        return None
    name = (match.group("name") or match.group("name2") or "").strip(" .")
    return name or None


def clean_article(raw: str, *, title_hint: str | None = None) -> CleanArticle:
    """Keep the reporting paragraphs of a scraped page; read title, outlet and date."""
    title = (title_hint or "").strip() or None
    outlet: str | None = None
    published: str | None = None
    kept: list[str] = []
    in_related_list = False

    for line in normalize(raw).split("\n"):
        if not line:
            continue
        outlet = outlet or _outlet(line)
        if not is_prose(line) and published is None:
            date_match = _PUBLISHED.match(line)
            if date_match or _DATE_ONLY.match(line):
                published = _iso_date(date_match.group("date") if date_match else line)
                if published:
                    continue
        if _RELATED_HEADING.match(line):
            in_related_list = True
            continue
        if in_related_list:
            # A related list runs until the reporting starts again.
            if is_prose(line) and len(_words(line)) >= 12:
                in_related_list = False
            else:
                continue
        if len(_words(line)) >= _LONG_LINE_WORDS:
            # A whole story on one line (plain-text scrapes) can carry furniture at its ends:
            # drop those sentences, not the line.
            line = _without_furniture(line)
        elif _BOILERPLATE.match(line) or _BREADCRUMB.match(line) or _CREDIT.search(line):
            continue
        if is_prose(line):
            kept.append(line)
            continue
        # Not prose: a headline before the reporting starts, else a subhead, caption or link.
        words = _words(line)
        if title is None and not kept and 3 <= len(words) <= _TITLE_MAX_WORDS:
            title = line
    if not kept:
        # No line reads as finished prose (a brief, a one-paragraph file cut mid-sentence):
        # keep the lines that carry sentences, so the story is never lost.
        candidates = [_without_furniture(line) for line in normalize(raw).split("\n")]
        kept = [
            line
            for line in candidates
            if len(_words(line)) >= _FALLBACK_LINE_WORDS
            and (len(_words(line)) >= _LONG_LINE_WORDS or not _BOILERPLATE.match(line))
            and line != title
        ]
    text = "\n\n".join(kept)
    if title is None:
        title = _title_from_text(text)
    return CleanArticle(title=title, text=text, outlet=outlet, published=published)


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+(?=[\"“‘(]?[A-Z0-9])")


def _without_furniture(line: str) -> str:
    """Drop the sentences of a long line that are widgets, notices or credits."""
    sentences = _SENTENCE_SPLIT.split(line)
    kept = [
        sentence
        for sentence in sentences
        if not (_BOILERPLATE.match(sentence) or _CREDIT.search(sentence))
    ]
    return " ".join(kept)


def _title_from_text(text: str) -> str:
    first = text.split("\n", 1)[0]
    if len(first) <= _TITLE_FROM_SENTENCE_CHARS:
        return first
    cut = first[:_TITLE_FROM_SENTENCE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
