"""Whole-collection reads of an embedded store from its SQLite file give what Chroma gives."""

from __future__ import annotations

import contextlib
import pickle
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import make_settings

from citedesk.desk import Desk
from citedesk.errors import StoreError
from citedesk.vectorstore._sqlite_scan import SqliteRows, SqliteScan
from citedesk.vectorstore.store import ArticleStore, StoreFile


def _churned(tmp_path: Path, sample_copy: Path) -> Desk:
    """Every article replaced once, one deleted: Chroma holds deleted rows' history."""
    desk = Desk.open(make_settings(tmp_path / "data"))
    desk.ingest([str(sample_copy)])
    paths = sorted(sample_copy.glob("*.txt"))
    for path in paths:
        path.write_text(path.read_text(encoding="utf-8") + "\n\nThis article was corrected.\n")
    assert desk.ingest([str(sample_copy)]).updated == len(paths)
    paths[0].unlink()
    assert desk.ingest([str(sample_copy)], prune=True).removed == 1
    return desk


def test_the_file_read_gives_what_chromas_get_gives(tmp_path: Path, sample_copy: Path) -> None:
    desk = _churned(tmp_path, sample_copy)
    store = desk._store
    database = store._folder / "chroma.sqlite3"  # type: ignore[attr-defined]
    for collection in (store._chunks, store._articles):
        scan = SqliteScan.open(database, collection.name)
        assert scan is not None
        got = collection.get(include=["documents", "metadatas"])
        assert list(scan.ids()) == got["ids"]
        assert list(scan.documents()) == list(zip(got["ids"], got["documents"], strict=True))
        assert list(scan.metadatas()) == list(zip(got["ids"], got["metadatas"], strict=True))

    # The store reads through it, and what it builds from the rows is unchanged.
    records = store.articles()
    chunks = [(i, r.id, text) for i, r, text in store.committed_chunk_texts(records)]
    # So does a child process given the store's file (the retrieval index build).
    file = pickle.loads(pickle.dumps(store.file()))
    assert file.articles() == records
    assert [(i, r.id, text) for i, r, text in file.committed_chunk_texts(records)] == chunks
    store._scan = lambda collection: None  # type: ignore[method-assign]
    assert store.articles() == records
    assert [(i, r.id, text) for i, r, text in store.committed_chunk_texts(records)] == chunks
    assert len(records) == 4 and len(chunks) == desk.chunk_count()
    desk.close()


def test_rows_read_by_id_from_the_file_are_chromas(tmp_path: Path, sample_copy: Path) -> None:
    """A question's chunks and articles, read from the file, equal Chroma's `get` of the same
    ids: replaced and deleted rows, ids not stored and the generation row included."""
    desk = _churned(tmp_path, sample_copy)
    store = desk._store
    rows = SqliteRows(store._folder / "chroma.sqlite3")  # type: ignore[attr-defined]
    for collection in (store._chunks, store._articles):
        ids = [*collection.get(include=[])["ids"], "no-such-id"]
        every = set(ids)
        for wanted in (ids[:16], ids[::3], ["no-such-id"], ids):
            from_file = rows.by_id(collection.name, wanted)
            through_chroma = list(ArticleStore._by_id(store, collection, wanted))
            assert from_file is not None
            assert sorted(from_file) == sorted(through_chroma)
            assert {row[0] for row in from_file} == set(wanted) & every - {"no-such-id"}
    # The store reads them so, and what it builds from them is unchanged.
    chunk_ids = store._chunks.get(include=[])["ids"][:20]
    nodes = store.chunks_by_id(chunk_ids)
    records = store.articles_by_id([r.id for r in store.articles()])
    store._file_rows = SqliteRows(tmp_path / "missing.sqlite3")  # type: ignore[attr-defined]
    assert store.chunks_by_id(chunk_ids) == nodes and len(nodes) == 20
    assert store.articles_by_id(list(records)) == records and len(records) == 4
    rows.close()
    desk.close()


def test_threads_that_end_leave_no_connection_open(tmp_path: Path, sample_copy: Path) -> None:
    desk = Desk.open(make_settings(tmp_path / "data"))
    desk.ingest([str(sample_copy)])
    store = desk._store
    rows = SqliteRows(store._folder / "chroma.sqlite3")  # type: ignore[attr-defined]
    ids = store._chunks.get(include=[])["ids"][:3]

    def read() -> None:
        assert rows.by_id(store._chunks.name, ids) is not None

    for _ in range(20):  # one short-lived thread after another, as an ingest's loader
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    read()
    assert len(rows._connections) <= 2  # this thread's, and at most the last ended one's
    rows.close()
    assert not rows._connections
    read()  # a closed reader opens again
    rows.close()
    desk.close()


def _log_unapplied_write(database_path: Path, collection: str) -> int:
    """Log a write in Chroma's log that the collection's metadata segment has not applied (as
    while a write is under way); return its sequence number."""
    with contextlib.closing(sqlite3.connect(database_path)) as database:
        (top,) = database.execute("SELECT MAX(seq_id) FROM embeddings_queue").fetchone()
        (collection_id,) = database.execute(
            "SELECT id FROM collections WHERE name = ?", (collection,)
        ).fetchone()
        row = database.execute(
            "SELECT * FROM embeddings_queue WHERE topic LIKE ? ORDER BY seq_id DESC LIMIT 1",
            (f"%/{collection_id}",),
        )
        columns = [column[0] for column in row.description]
        values = dict(zip(columns, row.fetchone(), strict=True))
        values["seq_id"] = top + 1000
        marks = ", ".join("?" for _ in values)
        database.execute(
            f"INSERT INTO embeddings_queue ({', '.join(values)}) VALUES ({marks})",
            tuple(values.values()),
        )
        database.commit()
        return int(values["seq_id"])


def test_a_child_waits_for_a_write_under_way_to_be_applied(
    tmp_path: Path, sample_copy: Path
) -> None:
    desk = Desk.open(make_settings(tmp_path / "data"))
    desk.ingest([str(sample_copy)])
    store = desk._store
    file = store.file()
    assert file is not None
    records = store.articles()
    chunks = [(i, r.id, text) for i, r, text in store.committed_chunk_texts(records)]
    desk.close()

    # The parent vouched for the file; then a write was logged, and is applied a moment later
    # (here: its log entry goes once the reader has looked and been refused at least once).
    seq_id = _log_unapplied_write(file.database, file.chunks_collection)
    assert SqliteScan.open(file.database, file.chunks_collection) is None
    applied = threading.Timer(
        0.5,
        lambda: _forget_logged_write(file.database, seq_id),
    )
    applied.start()
    waiting = StoreFile(file.database, file.articles_collection, file.chunks_collection)
    try:
        read = [(i, r.id, text) for i, r, text in waiting.committed_chunk_texts(records)]
    finally:
        applied.join()
    assert read == chunks and len(chunks) > 10


def _forget_logged_write(database_path: Path, seq_id: int) -> None:
    with contextlib.closing(sqlite3.connect(database_path)) as database:
        database.execute("DELETE FROM embeddings_queue WHERE seq_id = ?", (seq_id,))
        database.commit()


def test_a_file_it_cannot_vouch_for_is_read_through_chroma(
    tmp_path: Path, sample_copy: Path
) -> None:
    desk = Desk.open(make_settings(tmp_path / "data"))
    desk.ingest([str(sample_copy)])
    name = desk._store._chunks.name
    source = desk._store._folder / "chroma.sqlite3"  # type: ignore[attr-defined]
    desk.close()

    lagging = tmp_path / "lagging.sqlite3"
    shutil.copy(source, lagging)
    _log_unapplied_write(lagging, name)
    assert SqliteScan.open(source, name) is not None
    assert SqliteScan.open(lagging, name) is None
    # Nor are rows read by id from it: Chroma's read applies the log first.
    assert SqliteRows(source).by_id(name, ["any"]) == []
    assert SqliteRows(lagging).by_id(name, ["any"]) is None
    # A child given such a file fails in one line (its parent then builds the index itself).
    with pytest.raises(StoreError, match="cannot be read without Chroma"):
        StoreFile(lagging, "articles", name, settle_seconds=0.3).committed_chunk_texts([])

    # Another layout, another collection, or no file at all.
    other = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as database:
        database.execute("CREATE TABLE embeddings (id INTEGER PRIMARY KEY)")
    assert SqliteScan.open(other, name) is None
    assert SqliteScan.open(source, "no_such_collection") is None
    assert SqliteScan.open(tmp_path / "missing.sqlite3", name) is None
    assert SqliteRows(other).by_id(name, ["any"]) is None
    assert SqliteRows(source).by_id("no_such_collection", ["any"]) is None
    assert SqliteRows(tmp_path / "missing.sqlite3").by_id(name, ["any"]) is None
