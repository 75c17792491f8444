"""A bot's ingest on an embedded store runs whole in a child process under the bot's lock: the
bot writes nothing to Chroma (whose writes hold the interpreter lock), keeps answering, and then
sees the new articles; a child that dies costs a clear message and nothing committed."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import chromadb.api.models.Collection
import pytest
from conftest import make_settings

from citedesk.desk import Desk
from citedesk.errors import StoreBusyError
from citedesk.ingest import IngestReport

PILOTS = (
    "Harbour pilots strike in Rotterdam\n\n"
    "ROTTERDAM, March 3 (Reuters) - Harbour pilots in Rotterdam stopped work on Monday, leaving "
    "eleven container ships waiting outside the Maasvlakte terminals. The pilots' union said the "
    "strike would last 48 hours unless the port authority reopened talks on night-shift pay. "
    "The port authority said it regretted the action and would meet the union on Wednesday.\n"
)


@pytest.fixture
def bot_desk(tmp_path: Path) -> Any:
    desk = Desk.open(make_settings(tmp_path / "data"), seed_sample=True)
    desk.ingest_in_child = True  # as the bot sets it
    assert desk.ask("What did Baerbock say in Moscow?").citations  # it answers now
    yield desk
    desk.close()


def _chroma_writes_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each Chroma write this process makes (Chroma's own methods, spied, not ours)."""
    calls: list[str] = []
    collection = chromadb.api.models.Collection.Collection
    for name in ("add", "upsert", "update", "delete"):
        original = getattr(collection, name)

        def spy(self: Any, *args: Any, _name: str = name, _original: Any = original, **kw: Any):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(self, *args, **kw)

        monkeypatch.setattr(collection, name, spy)
    return calls


def test_the_bot_ingests_in_a_child_and_then_answers_from_it(
    bot_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = tmp_path / "pilots.txt"
    article.write_text(PILOTS, encoding="utf-8")
    writes = _chroma_writes_here(monkeypatch)
    report = bot_desk.ingest([str(article)])
    assert report.added == 1 and not report.errors
    assert writes == []  # every write was the child's
    # This process's Chroma sees the child's chunks (its vector graph was loaded again): the
    # nearest chunk to the new article's text is one of the article's own.
    store, engine = bot_desk._store, bot_desk.engine
    record = next(r for r in store.articles() if r.source.endswith("pilots.txt"))
    own = {node.node_id for node in store.article_chunks(record)}
    nearest = store.nearest_chunk_ids(engine.embed_model.get_text_embedding(PILOTS), 1)
    assert own and nearest[0][0] in own
    answer = bot_desk.ask("How many container ships were left waiting by the pilots' strike?")
    assert not answer.abstained and "eleven container ships" in answer.citations[0].quote
    assert bot_desk.ask("What did Baerbock say in Moscow?").citations  # the old ones stay
    # Sent as a file, an article goes the same way.
    again = bot_desk.ingest_upload(PILOTS.replace("eleven", "twelve").encode(), "p.txt", "tg:1")
    assert again.added == 1 and writes == []
    assert len(bot_desk.sources()) == 7
    # An ingest that changes nothing (a feed poll with nothing new) leaves Chroma as it was.
    chunks = bot_desk._store._chunks
    assert bot_desk.ingest([str(article)]).unchanged == 1
    assert bot_desk._store._chunks is chunks


def test_a_child_that_dies_is_a_clear_error_and_the_bot_goes_on(
    bot_desk: Desk, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(40):  # enough work to be caught in the middle
        (folder / f"a{n}.txt").write_text(
            PILOTS.replace("eleven", str(n + 100)) * 3, encoding="utf-8"
        )
    reports: list[IngestReport] = []
    thread = threading.Thread(target=lambda: reports.append(bot_desk.ingest([str(folder)])))
    thread.start()
    child = _wait_for_child("citedesk._ingest_child")
    os.kill(child, signal.SIGKILL)  # as the out-of-memory killer would
    thread.join(120)
    # One clear line for the admin (the bot sends the report), not an apology for a traceback.
    assert len(reports) == 1 and len(reports[0].errors) == 1
    assert "ingest process stopped" in reports[0].errors[0]
    assert bot_desk.ask("What did Baerbock say in Moscow?").citations
    report = bot_desk.ingest([str(folder)])  # the next ingest does the rest
    assert not report.errors and report.added + report.unchanged == 40
    assert len(bot_desk.sources()) == 45


def test_the_store_stays_locked_to_other_processes_meanwhile(
    bot_desk: Desk, tmp_path: Path
) -> None:
    # Only the bot's own child inherits the lock; a process started beside it may not open it.
    with pytest.raises(StoreBusyError):
        _open_in_another_process(tmp_path / "data")


def _open_in_another_process(data: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from conftest import make_settings; from citedesk.vectorstore import open_store;"
        "open_store(make_settings(Path(sys.argv[1])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CITEDESK_STORE_LOCK_FD": "3"},  # a name alone is not the lock
    )
    if "StoreBusyError" in done.stderr:
        raise StoreBusyError(done.stderr.splitlines()[-1])
    assert done.returncode == 0, done.stderr


def _wait_for_child(module: str) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            ppid = int(status.split("PPid:")[1].split()[0])
            if ppid == os.getpid() and module in cmdline:
                return int(pid)
        time.sleep(0.01)
    raise AssertionError(f"no child {module} started")
