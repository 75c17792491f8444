"""Feed de-duplication: seconds to pick the article links of feeds with many entries.

Compares the old way (a list, `link not in urls`: quadratic in entries) with unique_links (a dict,
stopping at the entry limit) on the same parsed feed; the parse itself is timed apart.

    .venv/bin/python benchmarks/feed_dedup.py [--entries 1000 5000 20000] [--limit 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from citedesk.ingest.feeds import unique_links


def feed_xml(entries: int) -> str:
    # Every link twice, so that de-duplication has work to do.
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i // 2}</link></item>"
        for i in range(entries)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def old_way(parsed: Any, limit: int) -> list[str]:
    urls: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if link.startswith(("http://", "https://")) and link not in urls:
            urls.append(link)
    return urls[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    print(f"{'entries':>8} {'parse s':>8} {'old dedup s':>12} {'unique_links s':>13}")
    for entries in args.entries:
        text = feed_xml(entries)
        started = time.perf_counter()
        parsed = feedparser.parse(text)
        parse_seconds = time.perf_counter() - started
        started = time.perf_counter()
        old = old_way(parsed, args.limit)
        old_seconds = time.perf_counter() - started
        started = time.perf_counter()
        new = unique_links(parsed.entries, args.limit)
        new_seconds = time.perf_counter() - started
        assert new == old, "the two ways disagree"
        print(f"{entries:>8} {parse_seconds:>8.2f} {old_seconds:>12.3f} {new_seconds:>13.4f}")


if __name__ == "__main__":
    main()
