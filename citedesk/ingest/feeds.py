"""RSS and Atom feeds: which article URLs a feed lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from citedesk.errors import BadInputError, FetchError
from citedesk.ingest.fetch import FEED_TYPES, FetchedPage


def looks_like_feed(page: FetchedPage) -> bool:
    if page.content_type in FEED_TYPES:
        return True
    head = page.text[:500].lstrip().lower()
    return head.startswith("<?xml") or head.startswith("<rss") or head.startswith("<feed")


def feed_entries(page: FetchedPage, limit: int) -> dict[str, str | None]:
    """Return the article links of a feed in its order, each with the entry's publication day
    (YYYY-MM-DD) when the feed gives one."""
    import feedparser  # on first use, as trafilatura in _load

    parsed = feedparser.parse(page.text)
    if parsed.bozo and not parsed.entries:
        raise FetchError(f"{page.url}: not a readable RSS or Atom feed ({parsed.bozo_exception})")
    links = unique_links(parsed.entries, limit)
    days: dict[str, str | None] = dict.fromkeys(links)
    for entry in parsed.entries:
        link = entry.get("link")
        if link in days and days[link] is None:
            days[link] = entry_day(entry)
    return days


def entry_day(entry: Mapping[str, Any]) -> str | None:
    """The day a feed entry was published (or else last updated), as YYYY-MM-DD."""
    for key in ("published_parsed", "updated_parsed"):
        when = entry.get(key)
        if when:
            try:
                return date(when.tm_year, when.tm_mon, when.tm_mday).isoformat()
            except (AttributeError, ValueError):
                continue
    return None


def unique_links(entries: Iterable[Mapping[str, Any]], limit: int) -> list[str]:
    """The first `limit` distinct http(s) links of feed entries, in the feed's order."""
    urls: dict[str, None] = {}  # a dict: one look-up per entry, and it keeps the feed's order
    for entry in entries:
        link = entry.get("link") or ""
        if isinstance(link, str) and link.startswith(("http://", "https://")):
            urls.setdefault(link)
            if len(urls) >= limit:
                break
    return list(urls)


def read_feed_list(path: Path) -> list[str]:
    """Read a file of feed URLs: one per line, blank lines and # comments ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read the feed list ({exc})") from exc
    urls = [line.split("#", 1)[0].strip() for line in lines]
    bad = [url for url in urls if url and not url.startswith(("http://", "https://"))]
    if bad:
        raise BadInputError(f"{path}: not a URL: {bad[0]}")
    return [url for url in urls if url]
