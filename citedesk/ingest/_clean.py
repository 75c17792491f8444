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
# A trailing sentence is a headline when at least this many of its words of four letters or more
# are capitalised, and this share of them (all: a sentence of reporting that names many people
# still has a lower-case verb or noun, "voted", "captain", "signed").
_HEADLINE_MIN_WORDS = 3
_HEADLINE_SHARE = 1.0

# Where a scrape joined a page's blocks onto one line it left a gap: two or more spaces or a tab.
GAP = "\x1f"
_GAP_RUN = re.compile(r"[ \t]*(?:\t|  )[ \t]*")
# A picture credit written as its own sentence: "Featured image via X/Getty Images",
# "Image via Twitter.", "Photo by X.", "Featured Image: Screenshot".
_PICTURE_CREDIT = re.compile(
    r"^\s*(?:(?:featured|top|header|lead|main|cover)\s+)?(?:image|photo|picture|pic)s?"
    r"(?:\s+(?:credit|courtesy))?\s*(?::|via\b|by\b|from\b|is\s+(?:a\s+)?(?:screen|still|via))"
    r"[^.!?]{0,60}\.?\s*$",
    re.IGNORECASE,
)
# The same credit closing a scraped story, glued to its last word ("2017Featured image via X"):
# capitalised, so "a photo via Twitter." in a sentence is not one.
_TRAILING_PICTURE_CREDIT = re.compile(
    r"(?:(?:(?<=[.!?:])(?i:featured)|Featured|Top|Header|Lead|Main|Cover)\s+"
    r"(?i:image|photo|picture)s?\b|(?:Image|Photo|Picture)s?\s+(?i:via|by|credit)\b)"
    r"(?:[^.!?\n]|(?<=\b[A-Z])\.\s?|\.(?=[^\sA-Z])){0,100}[.!?]?\s*$"
)
# Sentences with which a page's closing furniture starts after the story. What follows one of
# these on the same line is furniture too. Widgets (comment reporting, "more stories" rails, app
# and account prompts, a section's sign-off line) end the story wherever they stand after it;
# notices (copyright, a publication dateline, "back to top", follow and donation prompts) only
# when little prose follows them, since a paper's front matter carries a copyright line too.
_TAIL_WIDGET = re.compile(
    r"""(?:
        stay\s+updated\s+with\s+the\s+latest\b|catch\s+all\s+the\s+action\b|
        scan\s+the\s+qr\s+code\b|find\s+this\s+comment\s+offensive\b|
        comments\s+have\s+to\s+be\s+in\s+\w+,?\s+and\b|
        read\s+about\s+our\s+approach\s+to\s+external\s+linking\b|
        hot\s+on\s+web\b|stories\s+you\s+might\s+be\s+interested\s+in\b|
        log\s+out\s+of\s+your\s+current\b|(?:download|get)\s+(?:the\s+)?\S+\s+apps?\s+on\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_TAIL_NOTICE = re.compile(
    r"""(?:
        back\s+to\s+top\b|follow\s+us\s+on\s*:|in\s+case\s+you\s+missed\s+it\b(?!,)|
        (?:please\s+)?(?:give|donate|make)\b[^.]{0,40}\bdonation\b|
        publish(?:ed)?\s+date\s*:|published\s+(?:on\s+)?(?:\w+\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+\w+,?\s+\d{4})|
        copyright\s*©|©\s*(?:\d{4}|copyright)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Prose before a tail start: at least this many words, so a prompt above the story cuts nothing.
_TAIL_MIN_STORY_WORDS = 30
# After a tail start, at most this many words of prose (comment rules, app prompts); more means
# the marker sat in the story or its front matter, and nothing is cut there.
_TAIL_MAX_PROSE_WORDS = 150
# A block whose words mostly sit in long runs without a sentence end is a list of links or
# headlines, not reporting.
_LIST_RUN_WORDS = 40
_LIST_SHARE = 0.5
# A block of reporting has at least this many words ("Thank you for your report!" is not one).
_STORY_BLOCK_WORDS = 12
# A block that runs on for more words than this after its last sentence end trails off into a
# list of links or headlines; the story does not end in it.
_RAGGED_TAIL_WORDS = 20


@dataclass(frozen=True)
class CleanArticle:
    """An article's reporting text and the metadata the page showed."""

    title: str
    text: str
    outlet: str | None
    published: str | None


def normalize(raw: str, *, keep_gaps: bool = False) -> str:
    """Return NFC text with unix line breaks and single spaces inside lines.

    With keep_gaps, a run of two or more spaces or a tab inside a line (where a scrape joined
    the blocks of a page onto one line) becomes GAP instead of a space.
    """
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\ufeff", "").replace(GAP, " ")
    lines = []
    for line in text.split("\n"):
        line = line.strip(" \t")
        if keep_gaps:
            line = _GAP_RUN.sub(GAP, line)
        lines.append(re.sub(r"[ \t]+", " ", line).strip())
    return "\n".join(lines)


def _repaired(raw: str) -> str:
    """The text with mojibake undone (UTF-8 read as Latin-1 or Windows-1252, once or twice).

    ftfy changes only sequences that decode to plausible text, and nothing else: curly quotes,
    dashes and accents that were decoded right stay as they are.
    """
    # Imported on first use, like the rest of the extraction stack (~45 ms).
    import ftfy

    return ftfy.fix_encoding(raw)


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
    """Keep the reporting paragraphs of a scraped page; read title, outlet and date.

    Text decoded with the wrong charset somewhere upstream ("donâ€™t" for "don't") is repaired
    first, and a paragraph the page repeats word for word is kept once: scrapes of endless-scroll
    pages hold the same story dozens of times, and each copy would be chunked, embedded and
    quoted again.
    """
    raw = _repaired(raw)
    title = (title_hint or "").strip() or None
    outlet: str | None = None
    published: str | None = None
    kept: list[str] = []
    seen: set[str] = set()
    in_related_list = False

    for gapped in normalize(raw, keep_gaps=True).split("\n"):
        line = gapped.replace(GAP, " ")
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
            # drop those sentences and blocks, not the line.
            line = _without_furniture(gapped)
        elif _BOILERPLATE.match(line) or _BREADCRUMB.match(line) or _CREDIT.search(line):
            continue
        if is_prose(line):
            if line not in seen:
                kept.append(line)
                seen.add(line)
            continue
        # Not prose: a headline before the reporting starts, else a subhead, caption or link.
        words = _words(line)
        if title is None and not kept and 3 <= len(words) <= _TITLE_MAX_WORDS:
            title = line
    if not kept:
        # No line reads as finished prose (a brief, a one-paragraph file cut mid-sentence):
        # keep the lines that carry sentences, so the story is never lost.
        candidates = [
            _without_furniture(line) for line in normalize(raw, keep_gaps=True).split("\n")
        ]
        kept = list(
            dict.fromkeys(  # each once, in order
                line
                for line in candidates
                if len(_words(line)) >= _FALLBACK_LINE_WORDS
                and (len(_words(line)) >= _LONG_LINE_WORDS or not _BOILERPLATE.match(line))
                and line != title
            )
        )
    text = "\n\n".join(kept)
    if title is None:
        title = _short_title(raw) or _title_from_text(text)
    return CleanArticle(title=title, text=text, outlet=outlet, published=published)


# Between sentences: an end mark and closing quotes, then a space, or nothing where a scrape
# glued them ("the polls.Featured image via"); the quotes stay with the sentence they close.
_SENTENCE_GAP = re.compile(
    r"(?<=[.!?…])[\"'”’»)\]]*(?P<space>\s+)(?=[\"“‘(]?[A-Z0-9])"
    r"|(?<=[a-z]{2}[.!?])[\"”’']?(?P<glued>)(?=[A-Z][a-z])"
)


def _sentences(text: str) -> list[tuple[str, str]]:
    """Split text into (separator before, sentence) pairs; joined again they give the text."""
    pieces: list[tuple[str, str]] = []
    start = 0
    separator = ""
    for match in _SENTENCE_GAP.finditer(text):
        group = "space" if match.group("space") is not None else "glued"
        cut, resume = match.start(group), match.end(group)
        if cut <= start:
            continue
        pieces.append((separator, text[start:cut]))
        separator, start = text[cut:resume], resume
    if text[start:].strip():
        pieces.append((separator, text[start:]))
    return pieces


def _is_list(block: str) -> bool:
    """Say whether most of a block's words run on without sentence ends (links, headlines)."""
    runs = [len(_words(run)) for run in re.split(r"[.!?…](?=\W|$)", block)]
    total = sum(runs)
    return total > 0 and sum(n for n in runs if n > _LIST_RUN_WORDS) / total > _LIST_SHARE


def _is_story_block(block: str) -> bool:
    words = len(_words(block))
    return (
        words >= _STORY_BLOCK_WORDS
        and is_prose(block)
        and (words >= _LONG_LINE_WORDS or not _BOILERPLATE.match(block))
    )


def _ends_story(block: str) -> bool:
    """Say whether a block can close the story: reporting that does not trail off into a list."""
    if not _is_story_block(block):
        return False
    tail = re.split(r"[.!?…](?=\W|$)", block)[-1]
    return len(_words(tail)) <= _RAGGED_TAIL_WORDS


def _prose_words(text: str) -> int:
    """Words in the sentences of a text that read as reporting."""
    return sum(
        len(_words(sentence))
        for _, sentence in _sentences(text.replace(GAP, " "))
        if len(_words(sentence)) >= _FALLBACK_LINE_WORDS
        and is_prose(sentence)
        and not _is_list(sentence)
    )


def _cut_tail(line: str) -> str:
    """Cut a line where the page's closing furniture starts after the story.

    A tail start counts only after some prose, and after a finished sentence or a gap (a
    capitalised widget line may follow a link list directly); a notice also needs little prose
    after it.
    """
    starts = sorted(
        [(match.start(), True) for match in _TAIL_WIDGET.finditer(line)]
        + [(match.start(), False) for match in _TAIL_NOTICE.finditer(line)]
    )
    for start, widget in starts:
        before = line[:start]
        if (
            (
                before.rstrip(" " + GAP).endswith((".", "!", "?", "…", ")", '"', "”", "’", "|"))
                or before.endswith(GAP)
                or (widget and line[start].isupper())
            )
            and _prose_words(before) >= _TAIL_MIN_STORY_WORDS
            and (widget or _prose_words(line[start:]) <= _TAIL_MAX_PROSE_WORDS)
        ):
            return before
    return line


def _without_furniture(line: str) -> str:
    """Drop what a long line carries besides the story: furniture blocks and sentences.

    A scrape that put a whole page on one line keeps its blocks apart with gaps; blocks before
    the first and after the last block of reporting go (tickers, app prompts, link lists), the
    line is cut where the page's closing furniture starts, and sentences that are widgets,
    notices or picture credits go wherever they are.
    """
    line = _TRAILING_PICTURE_CREDIT.sub("", _cut_tail(line)).rstrip()
    blocks = [block.strip() for block in line.split(GAP)]
    first = next((i for i, block in enumerate(blocks) if _is_story_block(block)), None)
    # A block that starts in lower case goes on from the one before: "Oli has" | "said ...".
    while first and blocks[first][:1].islower() and blocks[first - 1]:
        first -= 1
    last = next((i for i in reversed(range(len(blocks))) if _ends_story(blocks[i])), None)
    if (
        first is not None
        and last is not None
        and first <= last
        and sum(len(_words(block)) for block in blocks[first : last + 1]) >= _TAIL_MIN_STORY_WORDS
    ):
        # Reporting was found: the blocks before and after it are the page's furniture.
        blocks = blocks[first : last + 1]
    line = " ".join(block for block in blocks if block)
    kept = [
        (separator, sentence)
        for separator, sentence in _sentences(line)
        if not (
            _BOILERPLATE.match(sentence)
            or _CREDIT.search(sentence)
            or _PICTURE_CREDIT.match(sentence)
        )
    ]
    # Promoted links often trail the story without a widget word to cut at ("9 Ultimate
    # Cocktail Recipes"): headlines in Title Case, which reporting never ends with.
    while len(kept) > 1 and _reads_as_headline(kept[-1][1]):
        kept.pop()
    text = "".join(separator + sentence for separator, sentence in kept)
    return text[len(kept[0][0]) :].strip() if kept else ""


def _reads_as_headline(sentence: str) -> bool:
    """Say whether a sentence is Title Case: every word of four letters or more capitalised."""
    long_words = [word for word in re.findall(r"[A-Za-z][\w'’-]*", sentence) if len(word) >= 4]
    capitalised = sum(word[0].isupper() for word in long_words)
    return len(long_words) >= _HEADLINE_MIN_WORDS and capitalised >= _HEADLINE_SHARE * len(
        long_words
    )


# A title of a word or two on a file's first line, set apart by a blank line ("Acid", "Mahatma
# Gandhi", "Cell (biology)"): too short to tell from a page's furniture by length, so it must read
# as a name (a capital, letters only: no abbreviation like "U.S" or "Dr", no dateline like
# "Kathmandu, Aug.18") and name what the text then talks about ("Share" or "Menu" does not).
_SHORT_TITLE = re.compile(r"[A-Z][A-Za-z'’-]{2,}(?: (?:[A-Za-z][A-Za-z'’-]*|\([a-z][a-z ]*\)))?")
_SHORT_TITLE_SUBJECT_CHARS = 1000


def _short_title(raw: str) -> str | None:
    """A file's first line as its title when it is a short name, followed by a blank line, with a
    word that the text's opening uses ("Mahatma Gandhi": "Mohandas Karamchand Gandhi ...")."""
    first, _, rest = raw.lstrip().partition("\n")
    first = first.strip()
    if not _SHORT_TITLE.fullmatch(first) or not rest.startswith(("\n", "\r\n")):
        return None
    opening = {word.lower() for word in _words(rest[:_SHORT_TITLE_SUBJECT_CHARS])}
    named = [word.lower() for word in _words(first.split("(")[0])]
    return first if any(word in opening for word in named) else None


def _title_from_text(text: str) -> str:
    first = text.split("\n", 1)[0]
    if len(first) <= _TITLE_FROM_SENTENCE_CHARS:
        return first
    cut = first[:_TITLE_FROM_SENTENCE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
