"""The retrieval index: BM25 by chunk id, saved per store generation, on both kinds of store."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pytest
import Stemmer
from llama_index.core.schema import MetadataMode

from citedesk.desk import Desk
from citedesk.ingest import ingest_paths
from citedesk.settings import Settings
from citedesk.vectorstore import ArticleStore, open_store
from citedesk.vectorstore._corpus_index import CorpusIndex
from citedesk.vectorstore._saved_array import SavedArray
from citedesk.vectorstore.embedding import load_embed_model
from citedesk.vectorstore.retrieve import HybridRetriever

QUERIES = [
    "Baerbock Lavrov talks in Moscow",
    "Blinken visit to Kyiv",
    "sanctions against Russia",
    "NATO troops on the border",
]


@pytest.fixture
def sample_store(store_settings: Settings, sample_copy: Path) -> ArticleStore:
    """A store of each kind holding the sample articles."""
    store = open_store(store_settings)
    ingest_paths([sample_copy], store_settings, store)
    return store


def test_bm25_ranks_as_bm25s_over_the_same_chunk_texts(sample_store: ArticleStore) -> None:
    store = sample_store
    index = CorpusIndex.build(store, store.fingerprint())
    nodes = store.chunk_nodes()
    # The reference: bm25s as llama-index's BM25Retriever drives it, over every chunk's text.
    stemmer = Stemmer.Stemmer("english")
    reference = bm25s.BM25()
    reference.index(
        bm25s.tokenize(
            [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes],
            stopwords="english",
            stemmer=stemmer,
            show_progress=False,
        ),
        show_progress=False,
    )
    for query in QUERIES:
        tokens = bm25s.tokenize(query, stemmer=stemmer, show_progress=False)
        found, scores = reference.retrieve(tokens, k=5, show_progress=False)
        expected = [
            (nodes[int(i)].node_id, round(float(s), 4))
            for i, s in zip(found[0], scores[0], strict=True)
            if s > 0
        ]
        got = [(chunk_id, round(score, 4)) for chunk_id, score in index.search(query, 5)]
        assert got == expected, query
    assert index.search("zzqx unrelatedword", 5) == []  # no shared word: nothing, not noise


def saved_names(folder: Path) -> list[str]:
    """The saved indexes in a folder (not the build lock files beside them)."""
    return sorted(child.name for child in folder.iterdir() if not child.name.startswith("."))


def test_the_index_is_saved_per_generation_and_loaded_by_the_next_process(
    store_settings: Settings, sample_copy: Path
) -> None:
    store = open_store(store_settings)
    desk = Desk(store_settings, store)
    desk.ingest([str(sample_copy)])
    generation = store.fingerprint()
    folder = store.index_folder
    assert folder is not None
    assert saved_names(folder) == [generation]  # built by the ingest
    saved = CorpusIndex.load(folder / generation, generation)
    built = CorpusIndex.build(store, generation)
    assert saved is not None and len(saved) == len(built) > 5
    assert saved.articles.keys() == built.articles.keys()
    assert all(not record.text for record in saved.articles.values())  # no text kept
    assert saved.vocabulary.__getstate__() == built.vocabulary.__getstate__()
    for query in QUERIES:
        assert saved.search(query, 8) == built.search(query, 8)
    for article_id in built.articles:
        words = {"minister", "ukrain", "said", "zzqx"}
        assert saved.article_stems.present(article_id, words) == built.article_stems.present(
            article_id, words
        )
    # Questions read the saved files, they do not map them into the process's memory.
    mapped = Path("/proc/self/maps").read_text()
    assert str(folder / generation) not in mapped
    # Another generation's index is never taken for this one.
    assert CorpusIndex.load(folder / generation, "another generation") is None

    (sample_copy / "000_42f62abf4ca1e602.txt").unlink()
    desk.ingest([str(sample_copy)], prune=True)
    newer = store.fingerprint()
    assert newer != generation
    assert saved_names(folder) == [newer]  # the old one is gone
    desk.close()


def test_a_damaged_saved_index_is_rebuilt_and_answers_still_come(
    sample_store: ArticleStore,
) -> None:
    store = sample_store
    generation = store.fingerprint()
    assert store.index_folder is not None
    CorpusIndex.open(store, generation)
    saved = store.index_folder / generation
    (saved / "vocabulary.json").write_text("{not json", encoding="utf-8")
    assert CorpusIndex.load(saved, generation) is None
    retriever = HybridRetriever(store, load_embed_model(store.embed_model_name), 8)
    results = retriever.retrieve("Who did Baerbock meet in Moscow?")
    assert results and len(retriever.vocabulary.words) > 100
    assert any("Lavrov" in result.node.get_content() for result in results)
    assert CorpusIndex.load(saved, generation) is not None  # the damaged copy was replaced


def test_an_index_of_an_older_format_is_replaced(sample_store: ArticleStore) -> None:
    store = sample_store
    generation = store.fingerprint()
    assert store.index_folder is not None
    CorpusIndex.open(store, generation)
    meta = store.index_folder / generation / "index.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "format": "0"}))
    assert CorpusIndex.load(store.index_folder / generation, generation) is None
    CorpusIndex.open(store, generation)
    assert CorpusIndex.load(store.index_folder / generation, generation) is not None


def test_a_read_only_data_folder_still_answers(sample_store: ArticleStore, tmp_path: Path) -> None:
    store = sample_store
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder would go")
    store.index_folder = blocker / "index"
    index = CorpusIndex.open(store, store.fingerprint())
    assert index.search("Baerbock", 3)


def test_article_stems_are_those_of_the_whole_article_and_title(sample_store: ArticleStore) -> None:
    from citedesk.vectorstore.terms import content_stems

    store = sample_store
    generation = store.fingerprint()
    built = CorpusIndex.build(store, generation)
    CorpusIndex.open(store, generation)
    assert store.index_folder is not None
    saved = CorpusIndex.load(store.index_folder / generation, generation)
    assert saved is not None
    asked = set(content_stems("Baerbock Lavrov Moscow sanctions Kyiv zzqx Tuesday gas pipeline"))
    for record in store.articles(with_text=True):
        whole = set(content_stems(f"{record.title} {record.text}"))
        assert built.article_stems.present(record.id, asked) == asked & whole
        assert saved.article_stems.present(record.id, asked) == asked & whole
    assert built.article_stems.present("no such article", asked) == set()


def test_questions_are_answered_from_the_current_index_while_a_new_one_is_built(
    store_settings: Settings, sample_copy: Path
) -> None:
    """At 100k chunks a rebuild takes a minute: questions must not queue behind it."""
    store = open_store(store_settings)
    first, *others = sorted(sample_copy.glob("*.txt"))
    ingest_paths([first], store_settings, store)
    retriever = HybridRetriever(store, load_embed_model(store.embed_model_name), 8)
    assert retriever.retrieve("Baerbock Lavrov Moscow")  # the first load waits for its build
    before = set(retriever.articles)
    assert len(before) == 1
    ingest_paths(others, store_settings, store)  # a new generation
    with retriever._lock:  # another thread is building its index
        started = time.monotonic()
        retriever.retrieve("Baerbock Lavrov Moscow")
        assert time.monotonic() - started < 5
        assert set(retriever.articles) == before  # answered from the current index
    deadline = time.monotonic() + 60  # the load the question started finishes on its own
    while len(retriever.articles) != 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(retriever.articles) == 5
    results = retriever.retrieve("Baerbock Lavrov Moscow")
    assert any("Lavrov" in result.node.get_content() for result in results)


def test_processes_sharing_a_data_folder_build_each_generation_once(
    sample_store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot and the worker on one server and data folder: one builds, the other loads it."""
    store = sample_store
    generation = store.fingerprint()
    builds: list[str] = []
    build = CorpusIndex._build_and_save.__func__  # type: ignore[attr-defined]

    def counted(cls: type[CorpusIndex], *args: object) -> CorpusIndex:
        builds.append(threading.current_thread().name)
        time.sleep(0.5)  # long enough for the others to arrive while it builds
        return build(cls, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(CorpusIndex, "_build_and_save", classmethod(counted))
    opened: list[CorpusIndex] = []
    threads = [
        threading.Thread(target=lambda: opened.append(CorpusIndex.open(store, generation)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(builds) == 1 and len(opened) == 3
    assert {len(index) for index in opened} == {len(CorpusIndex.build(store, generation))}


def test_a_child_process_builds_the_same_index_from_the_rows_it_reads_or_is_sent(
    sample_store: ArticleStore, tmp_path: Path
) -> None:
    from citedesk.vectorstore._corpus_index import build_in_child

    store = sample_store
    # An embedded store's child reads its file; a server store's is sent the rows.
    assert (store.file() is not None) == (store.kind == "embedded")
    generation = store.fingerprint()
    build_in_child(store, generation, tmp_path / "child")
    from_child = CorpusIndex.load(tmp_path / "child", generation)
    here = CorpusIndex.build(store, generation)
    assert from_child is not None and len(from_child) == len(here) > 5
    assert from_child.vocabulary.__getstate__() == here.vocabulary.__getstate__()
    assert from_child.articles.keys() == here.articles.keys()
    for query in QUERIES:
        assert from_child.search(query, 8) == here.search(query, 8)
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match=r"^building the retrieval index failed: "):  # one line
        build_in_child(store, generation, blocker / "child")


def test_a_generation_another_process_is_building_is_loaded_not_built_again(
    sample_store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot notices the worker's new generation first: it waits for the worker's copy."""
    from citedesk.vectorstore._corpus_index import _build_lock

    store = sample_store
    generation = store.fingerprint()
    folder = store.index_folder
    assert folder is not None
    started = threading.Event()

    def other_process() -> None:  # as the worker's prepare_index, a moment after publishing
        time.sleep(0.3)
        with _build_lock(folder, generation):
            started.set()
            time.sleep(1.0)
            CorpusIndex.build(store, generation).save(folder / generation)

    builds: list[str] = []
    build = CorpusIndex._build_and_save.__func__  # type: ignore[attr-defined]

    def counted(cls: type[CorpusIndex], *args: object) -> CorpusIndex:
        builds.append("here")
        return build(cls, *args)  # type: ignore[no-any-return]

    other = threading.Thread(target=other_process)
    other.start()
    monkeypatch.setattr(CorpusIndex, "_build_and_save", classmethod(counted))
    index = CorpusIndex.open(store, generation, grace=10)
    other.join(timeout=60)
    assert started.is_set() and builds == []
    assert len(index) == len(CorpusIndex.build(store, generation)) > 5
    # Nobody else building: after the grace this process builds it.
    newer = "a generation nobody builds"
    assert len(CorpusIndex.open(store, newer, grace=0.5)) == len(index)
    assert builds == ["here"]


@pytest.mark.parametrize(
    "values",
    [
        np.arange(1000, dtype=np.float32) / 7,
        np.array(["chunk-1", "a much longer chunk id é", ""], dtype=str),
        np.zeros(0, dtype=np.int32),
    ],
)
def test_a_saved_array_reads_what_numpy_saved(tmp_path: Path, values: Any) -> None:
    path = tmp_path / "values.npy"
    np.save(path, values)
    saved = SavedArray(path)
    assert len(saved) == len(values) and saved.dtype == values.dtype
    for start, stop in [(0, len(values)), (1, 3), (len(values), len(values)), (2, 1), (-2, None)]:
        assert np.array_equal(saved[start:stop], values[start:stop])
    for i in range(-len(values), len(values)):
        assert saved[i] == values[i]
    with pytest.raises(IndexError):
        saved[len(values)]
    with pytest.raises(IndexError):
        saved[::2]


def test_a_saved_array_refuses_what_it_cannot_slice(tmp_path: Path) -> None:
    np.save(tmp_path / "matrix.npy", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one-dimensional"):
        SavedArray(tmp_path / "matrix.npy")


def test_the_saved_index_is_the_same_in_every_process(tmp_path: Path) -> None:
    """The same articles give the same files whatever a process's string hashing: the article
    stems were numbered in set order, so two builds of one store differed."""
    import hashlib
    import os
    import subprocess
    import sys

    script = (
        "import sys, hashlib\n"
        "from pathlib import Path\n"
        "from citedesk.vectorstore._corpus_index import ArticleStems\n"
        "stems = {'a': {'kremlin', 'peskov', 'deni', 'troop', 'soil', 'russia', 'ukrain'},\n"
        "         'b': {'blinken', 'kyiv', 'berlin', 'zelenski', 'troop', 'talk'}}\n"
        "folder = Path(sys.argv[1]); folder.mkdir()\n"
        "ArticleStems.build(stems).save(folder)\n"
        "print(''.join(hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())))\n"
    )
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / seed)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
    assert hashlib.sha1(b"").hexdigest() not in next(iter(digests))
