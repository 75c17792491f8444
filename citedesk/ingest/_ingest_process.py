"""An embedded store's whole ingest in a child process, for a process that answers meanwhile.

Chroma's binding holds the interpreter lock for the whole of each write, and in a bot at 102k
chunks a write of 8 chunks took 26-397 ms (median 89): the cost grows with the writes not yet
saved in Chroma's vector graph, until it saves the graph every 1,000 (`hnsw:sync_threshold`). A
question that came during a write waited for it, so with questions 0.1 s apart the replies' p95
was 421 ms during a 1,000-article ingest, 48 ms idle. Smaller writes do not help (the growth is
per write), and a lower threshold trades it for a save of 100-190 ms every few writes.

So a bot's ingest on an embedded store (fetching, cleaning, chunking, embedding, the Chroma writes,
the saved vector graph and the retrieval index) runs in a child process that opens the store
itself, under the parent's lock: the child inherits its file descriptor (see `_lock`), and the
parent writes nothing until the child is done. Meanwhile the parent answers from what it loaded
(Chroma's graph in its memory, its retrieval index; chunks read by id from the file, where each
article's commit decides what is citable, see `store`). Then the parent opens Chroma again
(`ArticleStore.reopen`) and loads the index the child built. A reader in another process was
measured beside such writes: searches at a median of 3.5 ms, p95 9.5-13 ms, no errors.

python -m citedesk._ingest_child   (a pickled request on stdin, a pickled reply on stdout; the
child runs the Desk's own ingest there)
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from citedesk.errors import CitedeskError, StoreError
from citedesk.ingest.pipeline import IngestReport
from citedesk.process import libc, run_in_background
from citedesk.settings import Settings
from citedesk.vectorstore import INHERITED_LOCK_ENV, store_lock_fd

# What the child can be asked to do: `Desk.ingest` or `Desk.ingest_upload`, with these arguments.
SOURCES, UPLOAD = "sources", "upload"
# The child's work: an ingest of (settings, kind, arguments), in a Desk of its own.
ChildIngest = Callable[[Settings, str, dict[str, Any]], IngestReport]
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def ingest_in_child_process(settings: Settings, kind: str, **arguments: Any) -> IngestReport:
    """Run an ingest of the embedded store this process holds in a child process; return its
    report.

    The caller writes nothing meanwhile and calls `ArticleStore.reopen()` afterwards, whatever
    happened: a child that failed may have committed some articles."""
    fd = store_lock_fd(settings.store.chroma_dir)
    child = subprocess.Popen(
        [sys.executable, "-m", "citedesk._ingest_child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        pass_fds=(fd,),
        env={**os.environ, INHERITED_LOCK_ENV: str(fd)},
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        with child.stdin:
            pickle.dump((settings, kind, arguments), child.stdin, pickle.HIGHEST_PROTOCOL)
        reply_kind, payload = pickle.load(child.stdout)
    except (OSError, EOFError, pickle.UnpicklingError) as exc:
        raise StoreError(
            "the ingest process stopped (out of memory?); the articles it committed are kept, "
            "and the next ingest does the rest"
        ) from exc
    finally:
        child.stdout.close()
        child.wait()
    if reply_kind != "report" or not isinstance(payload, IngestReport):
        raise StoreError(f"the ingest failed: {payload}")
    return payload


def serve_ingest_child(ingest: ChildIngest) -> int:
    """The child's side: read the request, `ingest` it, reply; never a traceback."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the reply
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _stop_with_parent()
    run_in_background()  # the parent's questions come first
    reply: tuple[str, object]
    try:
        settings, kind, arguments = pickle.load(sys.stdin.buffer)
        reply = ("report", ingest(settings, kind, arguments))
    except CitedeskError as exc:
        reply = ("error", str(exc))
    except Exception as exc:  # any failure is the parent's to report
        logging.getLogger(__name__).exception("the ingest failed")
        reply = ("error", f"{type(exc).__name__}: {exc}")
    with replies:
        pickle.dump(reply, replies, pickle.HIGHEST_PROTOCOL)
    return 0


def _stop_with_parent() -> None:
    """Be stopped when the parent stops (Linux; strictly, the parent's thread that started this
    one, which waits for it): an orphan would keep the store's lock, and the bot restarted would
    find its store in use. An interrupted ingest loses nothing it committed."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc().prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent stopped before the call above
        sys.exit(1)
