"""Boilerplate removal works by general rules, shown here on pages it has never seen."""

from __future__ import annotations

import pytest

from citedesk.ingest._clean import clean_article
from citedesk.paths import SAMPLE_CORPUS

PAGE = """Home / World / Europe

Floods close the Rhine to shipping after days of rain

Barges wait near Cologne on Monday. (Photo by Getty Images)
Share this:
Facebook
Like this:

Shipping on the Rhine was halted on Monday after water levels rose above the safety mark, the river authority said.

This video can not be played
To play this video you need to enable JavaScript in your browser.

Officials expect the river to reopen by Friday if the rain stops.

More stories
Storm warning issued for the coast
Train strike enters second week

Leave a Reply
Your email address will not be published. Required fields are marked *
This site uses Akismet to reduce spam. Learn how your comment data is processed.
© 2024 Rhine Herald. All rights reserved.
"""


def test_general_boilerplate_is_removed_and_reporting_kept() -> None:
    article = clean_article(PAGE)
    assert article.title == "Floods close the Rhine to shipping after days of rain"
    assert article.text.split("\n\n") == [
        "Shipping on the Rhine was halted on Monday after water levels rose above the safety mark,"
        " the river authority said.",
        "Officials expect the river to reopen by Friday if the rain stops.",
    ]
    assert article.outlet == "Rhine Herald"


def test_published_date_is_read_when_the_page_shows_it() -> None:
    article = clean_article(
        "Headline about a thing happening\nPublished: 18 January 2022\n"
        "The thing happened on Tuesday, officials said in a statement."
    )
    assert article.published == "2022-01-18"
    assert "Published" not in article.text


def test_title_falls_back_to_the_first_sentence() -> None:
    article = clean_article(
        "WASHINGTON: The senate passed the bill on Tuesday after a long debate"
        " that ran through the night and into the morning.\nIt now goes to the house."
    )
    assert article.title.startswith("WASHINGTON: The senate passed the bill")
    assert article.title.endswith("…")


@pytest.mark.parametrize("title", ["Acid", "Mahatma Gandhi", "Cell (biology)", "Chemical bond"])
def test_a_short_first_line_set_apart_is_the_title(title: str) -> None:
    """An encyclopedia's one- or two-word title ("Acid") was dropped as too short for a headline,
    and the first sentence, cut at 90 characters, was shown in its place."""
    subject = title.split(" (")[0].split()[-1].lower()
    article = clean_article(
        f"{title}\n\nThe {subject} is the subject of this article, and much is known of it.\n\n"
        "It has been studied for centuries by many people."
    )
    assert article.title == title
    assert article.text.startswith(f"The {subject} is the subject")


@pytest.mark.parametrize("first", ["U.S", "Dr", "Kathmandu, Aug.18", "Share", "home"])
def test_a_short_first_line_that_is_no_name_is_not_the_title(first: str) -> None:
    """What a scrape leaves on a first line (a sentence cut at an abbreviation, a dateline, a
    widget) is no title: the first sentence is, as before."""
    article = clean_article(f"{first}\n\nThe senate passed the bill on Tuesday, officials said.")
    assert article.title == "The senate passed the bill on Tuesday, officials said."


def test_quotes_after_a_space_still_end_a_sentence() -> None:
    article = clean_article('She said they "have plans to invade. ”\nHe said "we are ready too. "')
    assert len(article.text.split("\n\n")) == 2


@pytest.mark.parametrize("path", sorted(SAMPLE_CORPUS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_sample_articles_lose_their_site_furniture(path) -> None:  # type: ignore[no-untyped-def]
    text = clean_article(path.read_text(encoding="utf-8")).text
    for furniture in (
        "Leave a Reply",
        "Share this",
        "Like this",
        "email address",
        "video can not be played",
        "You May Like",
        "Akismet",
        "(AFP photo)",
        "Comments are closed",
        "alternate addresses",
        "bloggers like this",
    ):
        assert furniture.lower() not in text.lower()
    assert len(text) > 1500
