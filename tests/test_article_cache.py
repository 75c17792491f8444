"""The cache of articles with their text: bounded by count and by characters of text."""

from __future__ import annotations

from citedesk.vectorstore.retrieve import ArticleCache
from citedesk.vectorstore.store import ArticleRecord


def article(number: int, chars: int) -> tuple[tuple[str, str], ArticleRecord]:
    record = ArticleRecord(
        id=f"https://news.example/{number}",
        source=f"https://news.example/{number}",
        title=f"Story {number}",
        content_hash=f"{number:064x}",
        chunks=1,
        text="x" * chars,
    )
    return (record.id, record.content_hash), record


def test_a_long_scraped_page_pushes_older_articles_out() -> None:
    cache = ArticleCache(most=256, most_chars=10_000)
    for number in range(5):
        cache.put(*article(number, 1_000))
    assert len(cache) == 5 and cache.chars == 5_000
    cache.get(article(0, 1_000)[0])  # read again: now the most recent
    cache.put(*article(9, 8_000))
    # 1, 2 and 3 go, oldest first, until the text fits; 0 was read since and stays.
    assert [cache.get(article(n, 1_000)[0]) is not None for n in range(5)] == [
        True, False, False, False, True,
    ]  # fmt: skip
    assert cache.chars == 10_000


def test_the_newest_article_stays_even_when_it_alone_is_longer() -> None:
    cache = ArticleCache(most=256, most_chars=10_000)
    cache.put(*article(1, 500))
    cache.put(*article(2, 50_000))
    assert len(cache) == 1 and cache.get(article(2, 50_000)[0]) is not None


def test_at_most_the_count_whatever_their_length() -> None:
    cache = ArticleCache(most=3, most_chars=10_000)
    for number in range(6):
        cache.put(*article(number, 10))
    assert len(cache) == 3 and cache.chars == 30
    assert cache.get(article(2, 10)[0]) is None and cache.get(article(5, 10)[0]) is not None
