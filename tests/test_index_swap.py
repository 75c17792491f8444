"""A new retrieval index replaces the old one between questions, never beside it."""

from __future__ import annotations

import gc
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest
from conftest import make_settings

from citedesk.desk import Desk
from citedesk.ingest import ingest_paths
from citedesk.settings import Settings
from citedesk.vectorstore import ArticleStore, open_store, retrieve
from citedesk.vectorstore._corpus_index import CorpusIndex
from citedesk.vectorstore._readers import Readers
from citedesk.vectorstore.embedding import load_embed_model
from citedesk.vectorstore.retrieve import HybridRetriever

ANOTHER_ARTICLE = """Harbour pilots strike in Rotterdam

ROTTERDAM, March 3 (Reuters) - Harbour pilots in Rotterdam stopped work on Monday over pensions,
leaving forty container ships waiting at anchor off the Maasvlakte terminals.
"""


def run(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_a_swap_waits_for_the_question_in_flight_and_holds_new_ones_back() -> None:
    readers = Readers()
    order: list[str] = []
    swapping = threading.Event()

    def swap() -> None:
        with readers.alone(wait=10) as alone:
            order.append(f"swap starts alone={alone}")
            swapping.set()
            time.sleep(0.3)
            order.append("swap ends")

    def later_question() -> None:
        with readers.reading():
            order.append("later question")

    with readers.reading():
        with readers.reading():  # reentrant: a question calls retrieval, which reads too
            swapper = run(swap)
            time.sleep(0.3)
            assert order == []  # the swap waits for the question
        order.append("question ends")
    assert swapping.wait(5)
    later = run(later_question)
    swapper.join(5)
    later.join(5)
    assert order == ["question ends", "swap starts alone=True", "swap ends", "later question"]


def test_a_swap_gives_up_waiting_and_a_reader_never_waits_for_itself() -> None:
    readers = Readers()
    with readers.reading():
        with readers.alone(wait=10) as alone:  # on a reader's own thread: at once, not alone
            assert alone is False
        outcome: list[bool] = []

        def swap() -> None:
            with readers.alone(wait=0.2) as alone:
                outcome.append(alone)

        run(swap).join(5)
        assert outcome == [False]
    # Nobody was held back: readers still come and go.
    with readers.reading():
        pass


@pytest.fixture
def sample_store(store_settings: Settings, sample_copy: Path) -> ArticleStore:
    store = open_store(store_settings)
    ingest_paths([sample_copy], store_settings, store)
    return store


def test_a_large_index_is_dropped_before_its_successor_is_loaded(
    sample_store: ArticleStore,
    store_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The sample store stands for a large one (at 100k chunks each index holds ~33 MB).
    monkeypatch.setattr(retrieve, "CHILD_BUILD_CHUNKS", 1)
    store = sample_store
    retriever = HybridRetriever(store, load_embed_model(store.embed_model_name), 4)
    assert retriever.retrieve("Baerbock Lavrov talks in Moscow")
    old = weakref.ref(retriever._index)
    old_alive_at_load: list[bool] = []
    load = CorpusIndex.load.__func__  # type: ignore[attr-defined]

    def spied(cls: type[CorpusIndex], *args: object) -> CorpusIndex | None:
        gc.collect()
        old_alive_at_load.append(old() is not None)
        return load(cls, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(CorpusIndex, "load", classmethod(spied))
    article = tmp_path / "pilots.txt"
    article.write_text(ANOTHER_ARTICLE, encoding="utf-8")
    ingest_paths([article], store_settings, store)
    with retriever.reading():  # a question in flight
        swapper = run(lambda: retriever.refresh(wait=True))
        swapper.join(5)  # the new index is built and saved meanwhile, not swapped in
        assert swapper.is_alive() and old_alive_at_load == []
        before = retriever.retrieve("Rotterdam harbour pilots strike")
        assert not any("Maasvlakte" in result.node.get_content() for result in before)
    swapper.join(60)
    assert old_alive_at_load == [False]
    found = retriever.retrieve("Rotterdam harbour pilots strike")
    assert any("Maasvlakte" in result.node.get_content() for result in found)


def test_a_process_that_answers_writes_its_ingest_between_questions(tmp_path: Path) -> None:
    # Chroma holds the interpreter lock while it writes: in a bot, a write must not land on a
    # question in flight (see ArticleStore.write_turn).
    desk = Desk.open(make_settings(tmp_path / "data"), seed_sample=True)
    assert desk.ask("What did Baerbock say in Moscow?").citations  # this process answers now
    article = tmp_path / "pilots.txt"
    article.write_text(ANOTHER_ARTICLE, encoding="utf-8")
    chunks = desk.chunk_count()
    with desk.engine.retriever.reading():  # a question in flight
        ingest = run(lambda: desk.ingest([str(article)]))
        deadline = time.monotonic() + 60
        while ingest.is_alive() and not _waits_between_questions(ingest):
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert _waits_between_questions(ingest), "the ingest wrote beside the question"
        assert desk.chunk_count() == chunks
    ingest.join(60)
    assert not ingest.is_alive() and desk.chunk_count() > chunks
    desk.close()


def _waits_between_questions(thread: threading.Thread) -> bool:
    """Whether the thread waits for a moment when no question is being answered."""
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == "alone":
            return True
        frame = frame.f_back
    return False
