"""The committed articles kept compact: the same records back, in less memory."""

from __future__ import annotations

import tracemalloc

from citedesk.vectorstore._article_table import ArticleTable
from citedesk.vectorstore.store import ArticleRecord


def records(count: int) -> list[ArticleRecord]:
    return [
        ArticleRecord(
            id=f"https://news.example/{number}",
            source=f"https://news.example/{number}",
            title=f"Story number {number} about the budget",
            outlet="Example News" if number % 2 else None,
            published=f"2025-08-{1 + number % 28:02d}" if number % 3 else None,
            content_hash=f"{number:064x}",
            chunks=number % 9,
            text="The text is never kept in the table.",
        )
        for number in range(count)
    ]


def test_each_record_reads_back_as_it_was_stored_without_its_text() -> None:
    stored = records(50)
    table = ArticleTable(stored)
    assert list(table) == [record.id for record in stored]
    for record in stored:
        assert table[record.id] == record.model_copy(update={"text": ""})
        assert table.get(record.id) == table[record.id]
    assert table.get("https://news.example/missing") is None
    # Saved as the records themselves would be, field for field and in the same order.
    assert table.dumps() == [record.model_dump(exclude={"text"}) for record in stored]
    assert ArticleTable(table.dumps()) == table


def test_a_table_takes_less_than_half_the_memory_of_the_records() -> None:
    stored = [record.model_copy(update={"text": ""}) for record in records(2_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        as_records = {record.id: record.model_copy() for record in stored}
        records_bytes = tracemalloc.get_traced_memory()[0] - before
        before = tracemalloc.get_traced_memory()[0]
        table = ArticleTable(as_records.values())
        table_bytes = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(table) == len(as_records)
    assert table_bytes < records_bytes / 2, (table_bytes, records_bytes)
