"""Publication dates: read where pages show them, never guessed."""

from __future__ import annotations

import pytest

from citedesk.ingest._dates import published_date
from citedesk.ingest._load import build_article


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("August 14, 2025 14:47 IST The board met on Thursday. It voted.", "2025-08-14"),
        ("14 August 2025 | The board met on Thursday.", "2025-08-14"),
        ("The board met.\nPublished on  August 17, 2025\nCopyright", "2025-08-17"),
        ("The board met. Updated: Tuesday, 12 Aug 2025 10:00 GMT", "2025-08-12"),
        (
            "WASHINGTON, Jan 18 (Reuters) - The talks resumed. A 2022 budget was named.",
            "2022-01-18",
        ),
        (
            "November 7, 2017 was the vote. pic.twitter.com/x Ann Lee (@annlee) November 7, 2017 "
            "More. Bo Ray (@boray) November 8, 2017 Later.",
            "2017-11-07",
        ),
        (
            "The board met. pic.twitter.com/x Ann Lee (@annlee) November 7, 2017 More. "
            "Bo Ray (@boray) November 8, 2017 Later.",
            "2017-11-08",
        ),
        ("WASHINGTON, Jan 18 (Reuters) - The talks resumed without a year in sight.", None),
        ("The board met on Thursday and voted to rebuild the pier.", None),
        ("In a speech, she recalled the attacks of September 11, 2001 at length." * 5, None),
    ],
)
def test_published_date(raw: str, expected: str | None) -> None:
    assert published_date(raw) == expected


def test_a_page_date_wins_and_is_stored_as_a_day() -> None:
    article = build_article(
        "<html><head><meta property='article:published_time' content='2025-08-16T09:30:00+05:30'>"
        "<title>Pier</title></head><body><article><p>The harbour board voted on Monday to "
        "rebuild the north pier, its chair said.</p></article></body></html>",
        article_id="x",
        source="x.html",
        is_html=True,
        where="x.html",
    )
    assert article.published == "2025-08-16"
