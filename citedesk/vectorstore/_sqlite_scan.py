"""Whole-collection reads of an embedded Chroma store, from its SQLite file.

Chroma's `get` pages with offsets (each page scans again from the start) and builds every row's
whole metadata in its own memory: at 102,119 chunks, reading every chunk's document took 88 s and
left the process 207 MB bigger, and the retrieval index build does that after each ingest, in the
bot's process. Read from Chroma's metadata segment with a read-only SQLite connection, the same
rows take 1.6 s and 2 MB (11.6 s and 7 MB for `committed_chunk_texts` as a whole, on a machine
busy with a benchmark).

This reads Chroma's local layout (chromadb 1.5: `collections`, `segments`, `embeddings`,
`embedding_metadata`, `max_seq_id`, `embeddings_queue`). `SqliteScan.open` checks it first, and
also that the metadata segment has applied every write in Chroma's log; when anything differs it
returns None and the caller reads through Chroma. A test compares both reads on a store with
replaced and deleted articles.

Chroma's writes wait while a page is read (the file has a rollback journal): with two threads
scanning 20,000 rows over and over while Chroma upserted 10,000 more, no write failed, and the
writes took 2.7 times as long. The index build scans once per ingest.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

_DOCUMENT_KEY = "chroma:document"
_PAGE_ROWS = 2000
# Ids per point read: SQLite allows 32,766 bound variables; a question asks for a few dozen.
_IDS_PER_READ = 500
# Pages each point-reading connection caches (SQLite's default is 2 MB a connection; the
# operating system caches the file anyway).
_POINT_CACHE_PAGES = 64
_COLUMNS = {
    "collections": {"id", "name"},
    "segments": {"id", "scope", "collection"},
    "embeddings": {"id", "segment_id", "embedding_id"},
    "embedding_metadata": {
        "id", "key", "string_value", "int_value", "float_value", "bool_value",
    },
    "max_seq_id": {"segment_id", "seq_id"},
    "embeddings_queue": {"seq_id", "topic"},
}  # fmt: skip


class SqliteScan:
    """Every row of one collection, read from the SQLite file of an embedded store."""

    def __init__(self, database: Path, segment: str) -> None:
        self._database = database
        self._segment = segment

    @classmethod
    def open(cls, database: Path, collection: str) -> SqliteScan | None:
        """A scan of this collection, or None if the file is not in the layout this reads or
        its metadata lags behind Chroma's write log (then Chroma's own reads apply it)."""
        if not database.is_file():
            return None
        try:
            with closing(_connect(database)) as connection:
                if not _in_layout(connection):
                    return None
                metadata = _segment(connection, collection, "METADATA")
        except sqlite3.Error:
            return None
        if metadata is None or metadata[1]:  # not this layout, or writes it has not applied
            return None
        return cls(database, metadata[0])

    def ids(self) -> Iterator[str]:
        """Each row's id, in Chroma's order."""
        query = "SELECT id, embedding_id FROM embeddings WHERE segment_id = ? AND id > ? ORDER BY id LIMIT ?"
        for page in self._pages(query, (self._segment,)):
            for _, embedding_id in page:
                yield embedding_id

    def documents(self) -> Iterator[tuple[str, str]]:
        """Each row's id and document, in Chroma's order."""
        query = (
            "SELECT e.id, e.embedding_id, m.string_value FROM embeddings e"
            " JOIN embedding_metadata m ON m.id = e.id AND m.key = ?"
            " WHERE e.segment_id = ? AND e.id > ? ORDER BY e.id LIMIT ?"
        )
        for page in self._pages(query, (_DOCUMENT_KEY, self._segment)):
            for _, embedding_id, text in page:
                yield embedding_id, text

    def metadatas(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each row's id and metadata (its document left out), in Chroma's order."""
        query = (
            "SELECT e.id, e.embedding_id, m.key, m.string_value, m.int_value, m.float_value,"
            " m.bool_value FROM (SELECT id, embedding_id FROM embeddings"
            " WHERE segment_id = ? AND id > ? ORDER BY id LIMIT ?) e"
            " LEFT JOIN embedding_metadata m ON m.id = e.id AND m.key != ? ORDER BY e.id"
        )
        for page in self._pages(query, (self._segment,), after=(_DOCUMENT_KEY,)):
            metadata: dict[int, tuple[str, dict[str, Any]]] = {}
            for row_id, embedding_id, key, text, integer, number, flag in page:
                _, values = metadata.setdefault(row_id, (embedding_id, {}))
                if key is not None:
                    values[key] = _value(text, integer, number, flag)
            yield from metadata.values()

    def _pages(
        self, query: str, before: tuple[Any, ...], after: tuple[Any, ...] = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The query's rows a page at a time, each page one short statement: SQLite holds a
        shared lock while a statement runs, and Chroma's writes (the same file, rollback
        journal) would wait for a whole scan."""
        last = -1
        with closing(_connect(self._database)) as connection:
            while True:
                page = connection.execute(query, (*before, last, _PAGE_ROWS, *after)).fetchall()
                if not page:
                    return
                yield page
                last = page[-1][0]


class SqliteRows:
    """Rows of an embedded store by id, read from its SQLite file: a question's chunks and
    articles.

    Chroma's `get` by id took 2.0 ms for 16 chunk rows already in memory and 8.5 ms for rows
    not read before, at 102k chunks; this read takes 0.7 and 5.0 ms (and 0.06 ms to check that
    the metadata segment has applied every logged write). One connection per thread, kept open
    while the thread lives.
    """

    def __init__(self, database: Path) -> None:
        self._database = database
        self._local = threading.local()
        self._connections: dict[int, sqlite3.Connection] = {}  # by thread
        self._guard = threading.Lock()

    def by_id(
        self, collection: str, ids: Sequence[str]
    ) -> list[tuple[str, dict[str, Any], str]] | None:
        """Each stored row among these ids: its id, metadata and document (Chroma's `get` with
        metadatas and documents, in no particular order); None when the file cannot answer for
        Chroma (not this layout, or writes its metadata segment has not applied yet)."""
        connection = self._connection()
        if connection is None:
            return None
        rows: dict[str, dict[str, Any]] = {}
        try:
            # One read transaction: the check and the rows see the same state of the file.
            connection.execute("BEGIN")
            try:
                found = _segment(connection, collection, "METADATA")
                if found is None or found[1]:
                    return None
                for start in range(0, len(ids), _IDS_PER_READ):
                    part = ids[start : start + _IDS_PER_READ]
                    marks = ",".join("?" * len(part))
                    for embedding_id, key, text, integer, number, flag in connection.execute(
                        "SELECT e.embedding_id, m.key, m.string_value, m.int_value, m.float_value,"
                        " m.bool_value FROM embeddings e LEFT JOIN embedding_metadata m"
                        f" ON m.id = e.id WHERE e.segment_id = ? AND e.embedding_id IN ({marks})",
                        (found[0], *part),
                    ):
                        values = rows.setdefault(embedding_id, {})
                        if key is not None:
                            values[key] = _value(text, integer, number, flag)
            finally:
                connection.rollback()
        except sqlite3.Error:
            return None
        return [
            (row_id, values, str(values.pop(_DOCUMENT_KEY, "") or ""))
            for row_id, values in rows.items()
        ]

    def close(self) -> None:
        """Close every thread's connection (no read may be running)."""
        with self._guard:
            for connection in self._connections.values():
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection | None:
        """This thread's connection, or None if the file is not in the layout this reads."""
        if hasattr(self._local, "connection"):
            return self._local.connection
        connection: sqlite3.Connection | None = None
        if self._database.is_file():
            try:
                connection = _connect(self._database, check_same_thread=False)
                connection.isolation_level = None  # transactions are begun explicitly
                connection.execute(f"PRAGMA cache_size = {_POINT_CACHE_PAGES}")
                if not _in_layout(connection):
                    connection.close()
                    connection = None
            except sqlite3.Error:
                connection = None
        if connection is not None:
            with self._guard:
                # Threads come and go (an ingest's loader, an index load): close the connections
                # of those that ended, and any left under this thread's id by an ended one.
                alive = {thread.ident for thread in threading.enumerate()}
                for ident in [i for i in self._connections if i not in alive]:
                    self._connections.pop(ident).close()
                if (left := self._connections.pop(threading.get_ident(), None)) is not None:
                    left.close()
                self._connections[threading.get_ident()] = connection
        self._local.connection = connection
        return connection


def unsaved_vector_writes(database: Path, collection: str) -> int | None:
    """How many of a collection's logged writes its saved vector (HNSW) graph does not hold yet;
    None if the file is not in the layout this reads."""
    if not database.is_file():
        return None
    try:
        with closing(_connect(database)) as connection:
            found = _segment(connection, collection, "VECTOR")
    except sqlite3.Error:
        return None
    return None if found is None else found[1]


def _in_layout(connection: sqlite3.Connection) -> bool:
    """Whether the file has the tables and columns this module reads (`_COLUMNS`)."""
    for table, columns in _COLUMNS.items():
        found = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if not columns <= found:
            return False
    return True


def _segment(connection: sqlite3.Connection, collection: str, scope: str) -> tuple[str, int] | None:
    """The collection's segment of this scope and how many of the collection's logged writes
    it has not applied (or saved, for a vector segment), or None if the file holds no such
    collection."""
    rows = connection.execute(
        "SELECT c.id, s.id, m.seq_id FROM collections c"
        " JOIN segments s ON s.collection = c.id AND s.scope = ?"
        " LEFT JOIN max_seq_id m ON m.segment_id = s.id WHERE c.name = ?",
        (scope, collection),
    ).fetchall()
    if len(rows) != 1:
        return None
    collection_id, segment, applied = rows[0]
    (behind,) = connection.execute(
        "SELECT COUNT(*) FROM embeddings_queue WHERE topic LIKE ? AND seq_id > ?",
        (f"%/{collection_id}", applied if isinstance(applied, int) else 0),
    ).fetchone()
    return segment, int(behind)


def _value(text: str | None, integer: int | None, number: float | None, flag: int | None) -> Any:
    if text is not None:
        return text
    if integer is not None:
        return integer
    if number is not None:
        return number
    return None if flag is None else bool(flag)


def _connect(database: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    # Read-only: Chroma in this process is the only writer, and SQLite keeps each read consistent.
    return sqlite3.connect(
        f"{database.resolve().as_uri()}?mode=ro",
        uri=True,
        timeout=30,
        check_same_thread=check_same_thread,
    )
