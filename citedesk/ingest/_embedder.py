"""Chunk and embed articles: in this process, or in a child process for a bot that ingests.

A bot answers questions while its feed polls and admin ingests run. (On an embedded store the
whole ingest runs in a child, see _ingest_process.py; this child is for a bot on a Chroma server,
whose writes leave the bot anyway.) In its own process an
ingest's model passes add their batches, tokens and activations to the bot's resident size
and hold the GIL between batches. In a child process the bot keeps only what it writes: the
chunks, their vectors and the store's own work (at 102k chunks, a bot answering at 527 MB
peaked at 658.5 MB while it ingested 1,000 articles, the child at 587 MB beside it; with the
passes in its own process it had peaked at 894 MB).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from typing import Protocol

from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import Document

from citedesk.errors import StoreError
from citedesk.ingest._chunk import SentenceChunker
from citedesk.ingest._sentences import SentenceEmbedder
from citedesk.process import run_in_background
from citedesk.vectorstore.embedding import load_embed_model
from citedesk.vectorstore.memory import give_back_freed_memory
from citedesk.vectorstore.rows import ChunkRows

# How long a child that was told to stop may take to finish its pass.
_CHILD_EXIT_SECONDS = 30


def chunking_pipeline(model_name: str, chunk_chars: int) -> IngestionPipeline:
    """Split documents into sentence-aligned chunks and embed their sentences and themselves."""
    return IngestionPipeline(
        transformations=[
            SentenceChunker(chunk_chars=chunk_chars),
            SentenceEmbedder(embed_model=load_embed_model(model_name)),
        ],
        # The cache would hash every node and keep every embedding in memory for a rerun
        # that the content hashes already skip.
        disable_cache=True,
    )


# Article text embedded in one call, in this process: enough that length-sorted model batches are
# narrow (with ~900 texts per pass, padding cost 1.43x the unpadded work against 1.12x for one
# sort of all texts; ~2,500 texts and width-capped batches bring it near 1.1x), little enough
# that progress moves every half minute.
IN_PROCESS_BATCH_CHARS = 400_000
# In a child, a quarter of that: each call's chunks (~8 KB of sentence vectors each) come back
# into the bot, are written from there, and leave their freed memory scattered between what
# lives on. A bot answering at 102k chunks grew ~75 MB over a 300-article ingest with batches of
# 400,000 characters and ~55 MB with 100,000; the ingest took as long (the child's model passes
# are not what a bot's ingest waits on: loading and writing are).
CHILD_BATCH_CHARS = 100_000


class Embedder(Protocol):
    """Turns documents into embedded chunks, as the store writes them."""

    # How much article text one call should take.
    batch_chars: int

    def __call__(self, documents: Sequence[Document]) -> ChunkRows: ...

    def close(self) -> None: ...


class InProcessEmbedder:
    """The pipeline in this process: the fastest for a command that only ingests."""

    batch_chars = IN_PROCESS_BATCH_CHARS

    def __init__(self, model_name: str, chunk_chars: int) -> None:
        self._pipeline = chunking_pipeline(model_name, chunk_chars)

    def __call__(self, documents: Sequence[Document]) -> ChunkRows:
        return ChunkRows.from_nodes(self._pipeline.run(documents=list(documents)))

    def close(self) -> None:
        pass


def serve(model_name: str, chunk_chars: str) -> int:
    """The child's side of `ChildProcessEmbedder`: documents in on stdin, chunks out on stdout.

    Each request is a pickled list of documents and each reply a pickled ("rows", ChunkRows)
    or ("error", message); end of input ends the child.
    """
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the replies
    run_in_background()  # questions come first
    pipeline = chunking_pipeline(model_name, int(chunk_chars))
    requests = sys.stdin.buffer
    while True:
        try:
            # Our own parent wrote these (trusted): pickle keeps documents and rows cheap.
            documents = pickle.load(requests)
        except EOFError:
            return 0
        try:
            reply: tuple[str, object] = (
                "rows",
                ChunkRows.from_nodes(pipeline.run(documents=documents)),
            )
        except Exception as exc:  # any failure is the parent's to report
            reply = ("error", f"{type(exc).__name__}: {exc}")
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()
        del reply, documents
        give_back_freed_memory(collect=False)  # this pass's batches, before the next one


class ChildProcessEmbedder:
    """The pipeline in one child process, started on first use and stopped by `close`.

    A `python -m` child, not a multiprocessing one, which would re-run the caller's main script.
    """

    children_started = 0  # in this process, for status and tests
    batch_chars = CHILD_BATCH_CHARS

    def __init__(self, model_name: str, chunk_chars: int) -> None:
        self._args = [model_name, str(chunk_chars)]
        self._child: subprocess.Popen[bytes] | None = None

    def __call__(self, documents: Sequence[Document]) -> ChunkRows:
        child = self._started()
        assert child.stdin is not None and child.stdout is not None
        try:
            pickle.dump(list(documents), child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            child.stdin.flush()
            kind, payload = pickle.load(child.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self.close()  # the next call starts a new child
            raise StoreError(
                "the embedding process stopped (out of memory?); nothing of this batch was "
                "written, and the next ingest tries it again"
            ) from exc
        if kind == "error" or not isinstance(payload, ChunkRows):
            raise StoreError(f"embedding failed: {payload}")
        return payload

    def _started(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            ChildProcessEmbedder.children_started += 1
            self._child = subprocess.Popen(
                [sys.executable, "-m", "citedesk.ingest._embed_child", *self._args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._child

    def close(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):
            if child.stdin is not None:
                child.stdin.close()  # end of input: the child returns
        try:
            child.wait(timeout=_CHILD_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
