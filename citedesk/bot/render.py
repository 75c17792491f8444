"""Turn answers into Telegram HTML messages that Telegram accepts."""

from __future__ import annotations

from html import escape

from citedesk.answering.models import CITATION_MARKER, Answer, Citation
from citedesk.desk import ArticleRecord

MAX_MESSAGE = 4096
# A single quote longer than this is shortened so that its message still fits.
MAX_QUOTE = 3000
MAX_TITLE = 300
MAX_OUTLET = 100
# A longer link is shown as text, so a quote (3000), title, outlet and link fit in 4096.
MAX_HREF = 400


def _source_line(citation: Citation) -> str:
    """The title, outlet and publication date (YYYY-MM-DD) beside a link to the source."""
    details = "".join(
        f", {shortened(detail, MAX_OUTLET)}"
        for detail in (citation.outlet, citation.published)
        if detail
    )
    source = citation.source
    href = escape(source, quote=True)
    shown = (
        f'<a href="{href}">source</a>'
        if source.startswith(("http://", "https://")) and len(href) <= MAX_HREF
        else shortened(source, MAX_TITLE)
    )
    return f"— <i>{shortened(citation.title, MAX_TITLE)}</i>{details} · {shown}"


def shortened(text: str, limit: int) -> str:
    """Escape text, shortening it at a word so that the escaped form fits the limit."""
    escaped = escape(text)
    while len(escaped) > limit:
        # Escaping can grow text fivefold ("&" -> "&amp;"): cut in proportion, then at a word.
        keep = max(1, int(len(text) * (limit - 2) / len(escaped)))
        cut = text[:keep]
        if " " in cut[keep // 2 :]:
            cut = cut.rsplit(" ", 1)[0]
        text = cut
        escaped = escape(text) + " …"
    return escaped


def _quote(text: str) -> str:
    return f"<blockquote>{shortened(text, MAX_QUOTE)}</blockquote>"


def answer_paragraphs(answer: Answer) -> list[str]:
    """Return the answer as HTML paragraphs: each fact's quotes with their numbered sources."""
    if answer.abstained:
        return [
            f"I could not find an answer to “{shortened(answer.question, MAX_QUOTE)}” in the "
            "articles I have."
        ]
    by_number = {citation.n: citation for citation in answer.citations}
    if answer.written_by == "llm":
        # The model's checked text, then every passage it cites, so each claim can be read at source.
        cited = [f"<b>[{c.n}]</b>{_quote(c.quote)}{_source_line(c)}" for c in answer.citations]
        return [shortened(answer.answer, MAX_QUOTE), *cited]
    paragraphs = []
    for line in answer.answer.split("\n\n"):
        numbers = [int(n) for n in CITATION_MARKER.findall(line) if int(n) in by_number]
        if not numbers:
            continue
        # One paragraph per citation, so that any paragraph fits in a message on its own.
        for index, n in enumerate(numbers):
            citation = by_number[n]
            header = (
                f"<i>{len(numbers)} articles report this:</i>\n"
                if index == 0 and len(numbers) > 1
                else ""
            )
            paragraphs.append(
                f"{header}<b>[{n}]</b>{_quote(citation.quote)}{_source_line(citation)}"
            )
    return paragraphs or [shortened(answer.answer, MAX_QUOTE)]


def split_messages(paragraphs: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join paragraphs into as few messages as fit, splitting only between paragraphs.

    Raw HTML is never shorter than the text Telegram counts, so measuring it is safe. Every
    paragraph is built to fit on its own (quotes and titles are shortened), and HTML is never
    cut inside.
    """
    messages: list[str] = []
    current = ""
    for paragraph in paragraphs:
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        if len(paragraph) > limit:
            raise ValueError("a paragraph longer than a message; shorten it where it is built")
        current = paragraph
    if current:
        messages.append(current)
    return messages


def split_lines(lines: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join HTML lines (each built to fit) into as few messages as fit, one line apart."""
    messages: list[str] = []
    for line in lines:
        if messages and len(messages[-1]) + 1 + len(line) <= limit:
            messages[-1] += "\n" + line
        else:
            if len(line) > limit:
                raise ValueError("a line longer than a message; shorten it where it is built")
            messages.append(line)
    return messages


def passage_html(citation_n: int, title: str, passage: str, quote: str) -> str:
    """Show the wider passage with the quoted sentences in bold; always fits one message."""
    start = passage.find(quote)
    if start < 0 or len(escape(passage)) > MAX_QUOTE:
        body = shortened(passage, MAX_QUOTE)
    else:
        body = (
            escape(passage[:start])
            + f"<b>{escape(quote)}</b>"
            + escape(passage[start + len(quote) :])
        )
    title_html = shortened(title, MAX_TITLE)
    return f"<b>[{citation_n}]</b> <i>{title_html}</i>\n<blockquote>{body}</blockquote>"


def sources_page(records: list[ArticleRecord], page: int, per_page: int) -> str:
    if not records:
        return "No articles are ingested yet."
    pages = (len(records) + per_page - 1) // per_page
    lines = [f"<b>Articles</b> ({len(records)}), page {page + 1} of {pages}:"]
    for index, record in enumerate(
        records[page * per_page : (page + 1) * per_page], start=page * per_page + 1
    ):
        details = ", ".join(
            shortened(x, MAX_OUTLET) for x in (record.outlet, record.published) if x
        )
        title = shortened(record.title, MAX_TITLE)
        lines.append(f"{index}. {title}" + (f" ({details})" if details else ""))
    return "\n".join(lines)
