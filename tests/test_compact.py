"""Compaction: the chunk collection rebuilt from the chunks it holds, embedded and on a server."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from conftest import make_settings
from typer.testing import CliRunner

from citedesk.cli import app
from citedesk.desk import Desk
from citedesk.settings import Settings
from citedesk.vectorstore import open_store

QUESTIONS = ("Who did Blinken speak with on the phone?", "What did Stoltenberg say about Ukraine?")


def _churned_desk(settings: Settings, sample_copy: Path) -> Desk:
    """A Desk whose articles were all replaced once: the first versions' chunks are deleted."""
    desk = Desk.open(settings)
    desk.ingest([str(sample_copy)])
    for path in sample_copy.glob("*.txt"):
        path.write_text(path.read_text(encoding="utf-8") + "\n\nThis article was corrected.\n")
    assert desk.ingest([str(sample_copy)]).updated == 5
    return desk


def _quotes(desk: Desk) -> list[list[str]]:
    return [[citation.quote for citation in desk.ask(q).citations] for q in QUESTIONS]


def _chunk_rows(settings: Settings) -> dict[str, tuple[object, str]]:
    store = open_store(settings)
    rows = {chunk_id: (meta, text) for chunk_id, meta, text in store.committed_chunks()}
    store.close()
    return rows


def test_compacting_keeps_every_chunk_and_every_answer(
    store_settings: Settings, sample_copy: Path
) -> None:
    desk = _churned_desk(store_settings, sample_copy)
    answers = _quotes(desk)
    assert all(answers)
    chunks = desk.chunk_count()
    fingerprint = desk._store.fingerprint()

    assert desk.compact() == chunks
    assert desk.chunk_count() == chunks
    assert desk._store.fingerprint() == fingerprint  # readers keep their saved index
    assert _quotes(desk) == answers  # the open Desk reads the new collection
    desk.close()

    if not store_settings.store.chroma_url:
        # The dropped collection's index folder is gone too (Chroma leaves it: its #5259).
        folder = store_settings.store.chroma_dir
        with contextlib.closing(sqlite3.connect(folder / "chroma.sqlite3")) as database:
            live = {row[0] for row in database.execute("SELECT id FROM segments")}
        indexes = {path.parent.name for path in folder.glob("*/header.bin")}
        assert len(indexes) == 2 and indexes <= live

    reopened = Desk.open(store_settings)
    assert _quotes(reopened) == answers
    prefix = store_settings.store.collection
    names = {c.name for c in reopened._store._client.list_collections()}
    assert {name for name in names if name.startswith(prefix)} == {
        f"{prefix}_chunks",
        f"{prefix}_articles",
    }
    reopened.close()


def test_a_compaction_stopped_after_dropping_the_old_collection_loses_nothing(
    tmp_path: Path, sample_copy: Path
) -> None:
    settings = make_settings(tmp_path / "data")
    desk = _churned_desk(settings, sample_copy)
    answers = _quotes(desk)
    rows = _chunk_rows_of(desk)
    # What a compaction leaves if it stops between dropping the old collection and renaming
    # the whole copy: only the copy.
    client = desk._store._client
    name = f"{settings.store.collection}_chunks"
    old = client.get_collection(name)
    copy = client.create_collection(name + "_compacting", metadata=old.metadata)
    page = old.get(include=["embeddings", "metadatas", "documents"])
    copy.add(
        ids=page["ids"],
        embeddings=page["embeddings"],
        metadatas=page["metadatas"],
        documents=page["documents"],
    )
    client.delete_collection(name)
    desk.close()

    assert _chunk_rows(settings) == rows
    reopened = Desk.open(settings)
    assert _quotes(reopened) == answers
    reopened.close()


def _chunk_rows_of(desk: Desk) -> dict[str, tuple[object, str]]:
    return {chunk_id: (meta, text) for chunk_id, meta, text in desk._store.committed_chunks()}


def test_compact_command_reports_the_chunks_and_the_disk_space(
    data_dir: Path, sample_copy: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(sample_copy)]).exit_code == 0
    result = runner.invoke(app, ["compact", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["chunks"] > 5
    assert report["bytes_before"] > 0 and report["bytes_after"] > 0
    plain = runner.invoke(app, ["compact"])
    assert plain.exit_code == 0 and plain.stdout.startswith(f"compacted {report['chunks']} chunks")


def test_a_leftover_partial_copy_is_ignored_and_replaced(tmp_path: Path, sample_copy: Path) -> None:
    settings = make_settings(tmp_path / "data")
    desk = _churned_desk(settings, sample_copy)
    answers = _quotes(desk)
    name = f"{settings.store.collection}_chunks"
    partial = desk._store._client.create_collection(name + "_compacting")
    partial.add(ids=["stray"], embeddings=[[0.0] * 384], documents=["stray"])
    desk.close()

    reopened = Desk.open(settings)
    assert _quotes(reopened) == answers  # the partial copy is not the store
    assert reopened.compact() == reopened.chunk_count()
    assert "stray" not in _chunk_rows_of(reopened)
    reopened.close()


def test_ingest_and_remove_point_at_compact_when_chunks_were_replaced(
    data_dir: Path, sample_copy: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", str(sample_copy)])
    assert first.exit_code == 0 and "citedesk compact" not in first.stderr
    article = next(sample_copy.glob("*.txt"))
    article.write_text(article.read_text(encoding="utf-8") + "\n\nThis article was corrected.\n")
    second = runner.invoke(app, ["ingest", str(sample_copy)])
    assert second.exit_code == 0 and "citedesk compact" in second.stderr
    removed = runner.invoke(app, ["remove", article.name])
    assert removed.exit_code == 0 and "citedesk compact" in removed.stderr
