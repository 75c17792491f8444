"""The committed articles' records, without their text, kept compact for a long-running bot."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from citedesk.vectorstore.store import ArticleRecord

# Every field but the id (the key) and the text (never kept here), in the model's order.
_FIELDS = tuple(name for name in ArticleRecord.model_fields if name not in ("id", "text"))
# Fields whose values repeat from article to article: one string each.
_SHARED = frozenset({"outlet", "published"})


class ArticleTable(Mapping[str, ArticleRecord]):
    """Articles by id, each kept as a tuple of its fields; a record is made when one is read.

    Retrieval holds every committed article between questions, and a question reads a few dozen.
    As pydantic records the 6,027 articles of a 102k-chunk store took 10.1 MB (1.7 KB each,
    tracemalloc), as tuples 3.8 MB; news articles run to ~7 chunks each, so a store of 100k
    chunks of news holds ~15,000 of them.
    """

    def __init__(self, records: Iterable[ArticleRecord | Mapping[str, Any]] = ()) -> None:
        self._rows: dict[str, tuple[Any, ...]] = {}
        for record in records:
            fields = vars(record) if isinstance(record, ArticleRecord) else record
            self._rows[fields["id"]] = tuple(
                _shared(fields.get(name)) if name in _SHARED else fields.get(name)
                for name in _FIELDS
            )

    def __getitem__(self, article_id: str) -> ArticleRecord:
        row = self._rows[article_id]
        # Validated when it was stored: constructing it again costs ~1 µs instead of ~10.
        return ArticleRecord.model_construct(id=article_id, **dict(zip(_FIELDS, row, strict=True)))

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def dumps(self) -> list[dict[str, Any]]:
        """Each record as `ArticleRecord.model_dump` gives it, without the text (for saving)."""
        return [
            {"id": article_id, **dict(zip(_FIELDS, row, strict=True))}
            for article_id, row in self._rows.items()
        ]


def _shared(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) else value
