"""Have Chroma save an embedded store's vector graph whole, so that every process searches the same.

Chroma saves a collection's HNSW graph once every `sync_threshold` writes (1,000 by default), and
each process that opens the store adds the writes since then to its graph again, in parallel
threads and in no fixed order (chromadb 1.5, `LocalHnswSegmentWriter.apply_log_chunk`). The graph,
and with it the chunks nearest a question, then differ from one start to the next: on the
1,728-article evaluation store 1,116 of 14,699 writes were unsaved, the nearest chunk to "Who won
the FIFA World Cup in 2014?" was at cosine distance 0.63 after some starts and, after others, a
cluster of identical chunks at 0.77 was all the search found; the question was answered or
refused accordingly.

Chroma has no call that saves the graph, and a process keeps the threshold it read when it first
wrote. So a child process opens the store with the threshold at 1 and makes one write that
changes nothing (deleting an id no chunk has): Chroma adds the unsaved writes and saves the
graph; the threshold then goes back. It runs at the end of each ingest or removal (`Desk`), while
the parent holds the store's lock and its write lock (so the parent writes nothing meanwhile;
its own graph in memory stays as it was), and again before a process opens the store, should an
earlier one have stopped before that. It runs only when writes are unsaved: ~4 s for the 307
unsaved writes of an 85-article store, paid by the ingest instead of the next question.

python -m citedesk.vectorstore._vector_graph CHROMA_FOLDER COLLECTION
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from citedesk.vectorstore._sqlite_scan import unsaved_vector_writes

log = logging.getLogger(__name__)

# An id no chunk can have (chunk ids are `<prefix>-<hash>-<index>`): deleting it writes nothing.
_NO_SUCH_CHUNK = "__citedesk_no_such_chunk__"
_CHILD_SECONDS = 600


def save_vector_graph(database: Path, collection: str) -> None:
    """Save the collection's graph whole if some writes are not in it (in a child process that
    opens the store in the database's folder)."""
    if not unsaved_vector_writes(database, collection):
        return
    folder = str(database.parent)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "citedesk.vectorstore._vector_graph", folder, collection],
            capture_output=True,
            text=True,
            timeout=_CHILD_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("could not have Chroma save its vector graph: %s", exc)
        return
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        log.warning("could not have Chroma save its vector graph: %s", last)


def _save_in_this_process(folder: str, collection: str) -> int:
    import chromadb

    from citedesk.vectorstore.store import chroma_settings

    client = chromadb.PersistentClient(path=folder, settings=chroma_settings())
    chunks = client.get_collection(collection)
    hnsw: dict[str, Any] = dict((chunks.configuration or {}).get("hnsw") or {})
    threshold = int(hnsw.get("sync_threshold") or 1000)
    chunks.modify(configuration={"hnsw": {"sync_threshold": 1}})
    try:
        chunks.delete(ids=[_NO_SUCH_CHUNK])
    finally:
        chunks.modify(configuration={"hnsw": {"sync_threshold": threshold}})
    return 0


if __name__ == "__main__":
    sys.exit(_save_in_this_process(*sys.argv[1:3]))
