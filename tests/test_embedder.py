"""Chunking and embedding in a child process (a bot's ingests) gives what the in-process pipeline
gives; a child that dies costs the batch a clear error, and the next batch a new child."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings
from llama_index.core import Document

from citedesk.desk import Desk
from citedesk.errors import StoreError
from citedesk.ingest import IngestReport
from citedesk.ingest._embedder import ChildProcessEmbedder, InProcessEmbedder
from citedesk.ingest._load import load_file
from citedesk.ingest.pipeline import Ingester
from citedesk.paths import SAMPLE_CORPUS
from citedesk.settings import BUNDLED_MODEL_INT8
from citedesk.vectorstore import open_store
from citedesk.vectorstore.rows import ChunkRows

CHUNK_CHARS = 700


def documents() -> list[Document]:
    files = sorted(SAMPLE_CORPUS.glob("*.txt"))[:2]
    return [
        Document(
            id_=file.name,
            text=file.read_text(),
            metadata={"article_id": file.name, "content_hash": file.stem, "title": file.stem},
        )
        for file in files
    ]


@pytest.fixture(scope="module")
def model_name() -> str:
    return BUNDLED_MODEL_INT8  # the default


def test_the_child_gives_the_chunks_and_vectors_of_the_pipeline_here(model_name: str) -> None:
    here = InProcessEmbedder(model_name, CHUNK_CHARS)(documents())
    child = ChildProcessEmbedder(model_name, CHUNK_CHARS)
    try:
        there = child(documents())
        # It gives a core to any thread of the bot that wakes (see process.run_in_background).
        assert os.sched_getscheduler(child._started().pid) == os.SCHED_IDLE
    finally:
        child.close()
    assert len(here) > 2
    assert there.ids == here.ids
    assert there.documents == here.documents
    assert [m.keys() for m in there.metadatas] == [m.keys() for m in here.metadatas]
    assert there.embeddings.dtype == np.float32 and there.embeddings.shape == (len(here), 384)
    assert np.allclose(there.embeddings, here.embeddings, atol=1e-5)


def test_a_child_that_dies_costs_its_batch_a_clear_error_and_no_more(model_name: str) -> None:
    child = ChildProcessEmbedder(model_name, CHUNK_CHARS)
    try:
        assert child(documents()[:1])
        pid = child._started().pid
        os.kill(pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        with pytest.raises(StoreError, match="embedding process stopped"):
            child(documents()[:1])
        assert child(documents()[:1])  # a new child
        assert child._started().pid != pid
    finally:
        child.close()


def test_a_bot_desk_on_a_chroma_server_embeds_in_a_child(
    tmp_path: Path, chroma_server: str
) -> None:
    # On an embedded store the whole ingest runs in a child (see test_ingest_process.py).
    settings = make_settings(
        tmp_path / "data", CHROMA_URL=chroma_server, CITEDESK_COLLECTION=f"embedder{os.getpid()}"
    )
    desk = Desk.open(settings)
    desk.ingest_in_child = True
    started = ChildProcessEmbedder.children_started
    report = desk.ingest([str(SAMPLE_CORPUS)])
    assert report.added == 5 and not report.errors
    assert ChildProcessEmbedder.children_started == started + 1
    answer = desk.ask("Who did Blinken speak to on the phone?")
    assert answer.citations and not answer.abstained


class FailingOnce:
    """An Embedder whose first batch fails as a dead child's does; then the pipeline here."""

    batch_chars = InProcessEmbedder.batch_chars

    def __init__(self) -> None:
        self.calls = 0
        self._working = InProcessEmbedder(BUNDLED_MODEL_INT8, CHUNK_CHARS)

    def __call__(self, documents: Sequence[Document]) -> ChunkRows:
        self.calls += 1
        if self.calls == 1:
            raise StoreError("the embedding process stopped (out of memory?)")
        return self._working(documents)

    def close(self) -> None:
        pass


def test_a_failed_batch_is_one_error_per_article_and_the_next_goes_in(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    store = open_store(settings)
    files = sorted(SAMPLE_CORPUS.glob("*.txt"))
    ingester = Ingester(settings, store, FailingOnce())
    report = IngestReport()
    ingester.add_each(files[:2], lambda f: load_file(f, 10**6), report)  # one batch: it fails
    ingester.add_each(files[2:], lambda f: load_file(f, 10**6), report)  # the next goes in
    assert report.added == 3 and len(report.errors) == 2
    assert all("embedding process stopped" in error for error in report.errors)
    assert {r.source for r in store.articles()} == {f.name for f in files[2:]}


def test_rows_split_by_article_and_join_back(model_name: str) -> None:
    rows = InProcessEmbedder(model_name, CHUNK_CHARS)(documents())
    parts = rows.by_article()
    assert list(parts) == [document.id_ for document in documents()]
    assert all(len(part) and part.embeddings.shape == (len(part), 384) for part in parts.values())
    again = ChunkRows.joined(list(parts.values()))
    assert again.ids == rows.ids and np.array_equal(again.embeddings, rows.embeddings)
    shuffled = ChunkRows.joined([rows.slice(0, 1), rows.slice(len(rows) - 1, len(rows)), rows])
    with pytest.raises(ValueError, match="not together"):
        shuffled.by_article()
