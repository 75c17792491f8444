"""What retrieval knows about the whole store: BM25 over every chunk, the articles, the vocabulary.

It is built once per store generation by reading the committed chunks a page at a time (a 100k-chunk
store never sits in memory as text), and kept on disk under the data folder, so that the next process,
or the bot after a restart, loads it instead of reading every chunk again (over a minute at 100k
chunks). Loading maps the BM25 matrix and reads two small JSON files. It holds no chunk text:
retrieval asks Chroma for the dozen chunks it returns.

BM25 is bm25s, as inside llama-index's `BM25Retriever`, over the same tokens (bm25s's tokenizer,
English stopwords, Snowball stems) of the same text (each chunk's embed content). The llama-index
class is not used because it keeps a serialized copy of every node in memory (740 MB at 113k chunks)
and has no way to rank by chunk id alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer

from citedesk.vectorstore._article_table import ArticleTable
from citedesk.vectorstore._saved_array import SavedArray
from citedesk.vectorstore.memory import give_back_freed_memory
from citedesk.vectorstore.store import ArticleRecord, ArticleStore, StoreFile, embed_content
from citedesk.vectorstore.terms import Vocabulary, VocabularyCounts, content_stems

log = logging.getLogger(__name__)

# bm25s sets its own logger to DEBUG on import, which would print on every index build.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Bumped whenever what is saved changes meaning: an index of another format is rebuilt.
FORMAT = "4"
_META = "index.json"
_ARTICLES = "articles.json"
_VOCABULARY = "vocabulary.json"
_CHUNK_IDS = "chunk_ids.npy"
_BM25 = "bm25"
_STEM_IDS = "article_stem_ids.npy"
_STEM_OFFSETS = "article_stem_offsets.npy"
_STEM_NAMES = "article_stems.json"
# Chunks tokenized together while building (bounds the text held at once).
_BUILD_PAGE = 2000
_LOCK_SUFFIX = ".building.lock"
_GRACE_POLL_SECONDS = 0.5
# From this many chunks on, the index is built in a child process (see `build_in_child`);
# below it the build takes a second or two and a child would only add its start-up.
CHILD_BUILD_CHUNKS = 20_000
# A chunk as the build reads it: id, article id, text, text with the embedded metadata (title).
ChunkRow = tuple[str, str, str, str]


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _tokens(texts: list[str]) -> list[list[str]]:
    tokens: list[list[str]] = bm25s.tokenize(
        texts, stopwords="english", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return tokens


class CorpusIndex:
    """BM25 by chunk id, the committed articles (without text) and the corpus vocabulary."""

    def __init__(
        self,
        generation: str,
        chunk_ids: Any,  # a sequence of str: a list, or a memory-mapped numpy array
        bm25: bm25s.BM25 | None,
        articles: ArticleTable,
        vocabulary: Vocabulary,
        article_stems: ArticleStems,
    ) -> None:
        self.generation = generation
        self.chunk_ids = chunk_ids
        self.bm25 = bm25
        self.articles = articles
        self.vocabulary = vocabulary
        self.article_stems = article_stems

    @classmethod
    def empty(cls) -> CorpusIndex:
        return cls("", [], None, ArticleTable(), Vocabulary(), ArticleStems.build({}))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    # --- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, store: ArticleStore, generation: str) -> CorpusIndex:
        """Read every committed chunk of the store once and index it."""
        records = store.articles()
        return cls.from_rows(generation, records, _chunk_rows(store, records))

    @classmethod
    def from_rows(
        cls, generation: str, records: Iterable[ArticleRecord], rows: Iterable[ChunkRow]
    ) -> CorpusIndex:
        """Index chunk rows (id, article id, text, embed text) of these articles."""
        articles = ArticleTable(records)
        counts = VocabularyCounts()
        token_ids: dict[str, int] = {}
        documents: list[np.ndarray] = []
        chunk_ids: list[str] = []
        texts: list[str] = []
        stems_by_article: dict[str, set[str]] = {}

        def tokenize_page() -> None:
            for tokens in _tokens(texts):
                ids = (token_ids.setdefault(token, len(token_ids)) for token in tokens)
                documents.append(np.fromiter(ids, dtype=np.int32))
            texts.clear()

        for chunk_id, article_id, text, embed_text in rows:
            stems_by_article.setdefault(article_id, set()).update(counts.add(text))
            texts.append(embed_text)
            chunk_ids.append(chunk_id)
            if len(texts) >= _BUILD_PAGE:
                tokenize_page()
        tokenize_page()
        for article_id, record in articles.items():
            stems_by_article.setdefault(article_id, set()).update(content_stems(record.title))
        # Compact what was counted before BM25 indexing, whose arrays peak at hundreds of MB at
        # 100k chunks: the stem sets alone are millions of entries.
        vocabulary = Vocabulary.from_counts(counts)
        article_stems = ArticleStems.build(stems_by_article)
        del counts, stems_by_article
        give_back_freed_memory()
        bm25 = None
        if chunk_ids:
            bm25 = bm25s.BM25()
            bm25.index((documents, token_ids), create_empty_token=False, show_progress=False)
        return cls(generation, chunk_ids, bm25, articles, vocabulary, article_stems)

    @classmethod
    def open(cls, store: ArticleStore, generation: str, *, grace: float = 0.0) -> CorpusIndex:
        """Load the saved index of this generation, or build it (and save it if the store says
        where). `grace`: see `prepare`."""
        folder = store.index_folder
        if folder is None or not generation:
            return cls.build(store, generation)
        unsaved = cls.prepare(store, generation, grace=grace)
        if unsaved is not None:
            return unsaved
        saved = cls.load(folder / generation, generation)
        if saved is None:  # a damaged copy: built again over it
            with _build_lock(folder, generation):
                saved = cls._build_and_save(store, generation, folder)
            if saved is None:
                saved = cls.load(folder / generation, generation)
        # (An index is a sequence of chunks: an empty one is a valid index, so no `or` here.)
        return saved if saved is not None else cls.build(store, generation)

    @classmethod
    def prepare(
        cls, store: ArticleStore, generation: str, *, grace: float = 0.0
    ) -> CorpusIndex | None:
        """Make sure this generation's index is saved, building it if need be, without loading
        it; return the index only if it was built here and could not be saved.

        `grace`: seconds given to another process sharing the data folder to start building it
        (an ingest that published a generation ends by building its index); once one does,
        this process waits for that copy instead of building its own."""
        folder = store.index_folder
        if folder is None or not generation:
            return cls.build(store, generation)
        deadline = time.monotonic() + grace
        while (
            not _is_saved(folder / generation, generation)
            and time.monotonic() < deadline
            and not _being_built(folder, generation)
        ):
            time.sleep(_GRACE_POLL_SECONDS)
        # Processes sharing a data folder (the bot and the worker on one Chroma server) build a
        # generation once: the others wait for the builder, then load its copy.
        with _build_lock(folder, generation):
            if _is_saved(folder / generation, generation):
                return None
            return cls._build_and_save(store, generation, folder)

    @classmethod
    def _build_and_save(
        cls, store: ArticleStore, generation: str, folder: Path
    ) -> CorpusIndex | None:
        """Build and save the index; return it only if it could not be saved."""
        if store.chunk_count() >= CHILD_BUILD_CHUNKS:
            try:
                build_in_child(store, generation, folder / generation)
            except OSError as exc:
                log.warning("building the retrieval index in a child process failed: %s", exc)
            else:
                _remove_others(folder, keep=generation)
                give_back_freed_memory()  # the pages read from Chroma for the child
                return None
        index = cls.build(store, generation)
        try:
            index.save(folder / generation)
        except OSError as exc:  # a read-only data folder still answers; it rebuilds next time
            log.warning("could not save the retrieval index in %s: %s", folder, exc)
            return index
        _remove_others(folder, keep=generation)
        # Answer from the saved copy: the matrix is then mapped, not held, and what was built
        # (token arrays, vocabulary counts, the pages read from Chroma) is freed.
        del index
        give_back_freed_memory()
        return None

    # --- on disk --------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the index to `folder` (whole or not at all: it is written beside, then renamed)."""
        temporary = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        if self.bm25 is not None:
            self.bm25.save(str(temporary / _BM25))
        np.save(temporary / _CHUNK_IDS, np.asarray(list(self.chunk_ids), dtype=str))
        (temporary / _ARTICLES).write_text(json.dumps(self.articles.dumps()), encoding="utf-8")
        (temporary / _VOCABULARY).write_text(
            json.dumps(self.vocabulary.__getstate__()), encoding="utf-8"
        )
        self.article_stems.save(temporary)
        meta = {"format": FORMAT, "generation": self.generation, "chunks": len(self)}
        (temporary / _META).write_text(json.dumps(meta), encoding="utf-8")  # written last
        if folder.exists() and self.load(folder, self.generation) is None:
            # A damaged copy, or one of an older format: this one replaces it.
            shutil.rmtree(folder, ignore_errors=True)
        try:
            temporary.rename(folder)
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)
            if self.load(folder, self.generation) is None:  # not another process's good copy
                raise

    @classmethod
    def load(cls, folder: Path, generation: str) -> CorpusIndex | None:
        """Return the index saved in `folder`, or None if it is absent, stale or unreadable."""
        try:
            meta = _saved_meta(folder, generation)
            if meta is None:
                return None
            chunk_ids = SavedArray(folder / _CHUNK_IDS)
            bm25 = _load_bm25(folder / _BM25) if len(chunk_ids) else None
            articles = ArticleTable(
                ArticleRecord.model_validate(record)
                for record in json.loads((folder / _ARTICLES).read_text(encoding="utf-8"))
            )
            vocabulary = Vocabulary.__new__(Vocabulary)
            vocabulary.__setstate__(json.loads((folder / _VOCABULARY).read_text(encoding="utf-8")))
            article_stems = ArticleStems.load(folder)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "the saved retrieval index in %s is unreadable (%s); rebuilding", folder, exc
            )
            return None
        if len(chunk_ids) != meta.get("chunks"):
            return None
        return cls(generation, chunk_ids, bm25, articles, vocabulary, article_stems)

    # --- searching ------------------------------------------------------------------------
    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Return up to k (chunk id, BM25 score) pairs, best first; chunks sharing no word with
        the query are not returned."""
        if self.bm25 is None or k <= 0:
            return []
        token_ids = self.bm25.get_tokens_ids(_tokens([query])[0])
        if not token_ids:
            return []
        scores = self.bm25.get_scores([int(token_id) for token_id in token_ids])
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(str(self.chunk_ids[i]), float(scores[i])) for i in top if scores[i] > 0]


def _load_bm25(folder: Path) -> bm25s.BM25:
    """Load a saved bm25s index whose postings are read per question (see `SavedArray`)."""
    bm25 = bm25s.BM25.load(str(folder), mmap=True)
    # bm25s scores a query with data[start:end] and indices[start:end] of each of its words;
    # indptr, one entry per word of the vocabulary (0.2 MB at 100k chunks), is read whole.
    for name in ("data", "indices"):
        bm25.scores[name] = SavedArray(folder / f"{name}.csc.index.npy")
    bm25.scores["indptr"] = np.load(folder / "indptr.csc.index.npy")
    return bm25


class ArticleStems:
    """The content stems of each whole article, as ids (sorted per article) in one array.

    Answer scoring asks, for each candidate article, which of the question's words it uses
    anywhere; stemming a dozen whole articles per question cost more than the rest of the
    question at 100k chunks, so it is done once here.
    """

    def __init__(self, stems: list[str], articles: list[str], ids: Any, offsets: Any) -> None:
        self._stem_ids = {stem_: i for i, stem_ in enumerate(stems)}
        self._stems = stems
        self._position = {article_id: i for i, article_id in enumerate(articles)}
        self._ids = ids
        self._offsets = offsets

    @classmethod
    def build(cls, stems_by_article: dict[str, set[str]]) -> ArticleStems:
        stem_ids: dict[str, int] = {}
        # Sorted: a set's order changes with each process's string hashing, and so did the
        # saved files of the same store (the answers did not: the ids map the same stems).
        arrays = [
            np.unique(
                np.fromiter(
                    (stem_ids.setdefault(stem_, len(stem_ids)) for stem_ in sorted(stems)),
                    dtype=np.int32,
                )
            )
            for stems in stems_by_article.values()
        ]
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(array) for array in arrays])
        ids = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
        return cls(list(stem_ids), list(stems_by_article), ids, offsets)

    def save(self, folder: Path) -> None:
        np.save(folder / _STEM_IDS, self._ids)
        np.save(folder / _STEM_OFFSETS, self._offsets)
        names = {"stems": self._stems, "articles": list(self._position)}
        (folder / _STEM_NAMES).write_text(json.dumps(names), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ArticleStems:
        names = json.loads((folder / _STEM_NAMES).read_text(encoding="utf-8"))
        ids = SavedArray(folder / _STEM_IDS)
        offsets = np.load(folder / _STEM_OFFSETS)
        if len(offsets) != len(names["articles"]) + 1:
            raise ValueError("article stems and their offsets disagree")
        return cls(names["stems"], names["articles"], ids, offsets)

    def present(self, article_id: str, stems: Iterable[str]) -> set[str]:
        """Return which of these stems the article uses (title included)."""
        position = self._position.get(article_id)
        if position is None:
            return set()
        wanted = [(stem_, self._stem_ids[stem_]) for stem_ in stems if stem_ in self._stem_ids]
        if not wanted:
            return set()
        ids = self._ids[self._offsets[position] : self._offsets[position + 1]]
        asked = np.fromiter((stem_id for _, stem_id in wanted), dtype=np.int32)
        at = np.minimum(np.searchsorted(ids, asked), max(len(ids) - 1, 0))
        found = ids[at] == asked if len(ids) else np.zeros(len(asked), dtype=bool)
        return {stem_ for (stem_, _), hit in zip(wanted, found, strict=True) if hit}


def prepare_index(store: ArticleStore) -> None:
    """Build and save the retrieval index of the store's current generation, if not yet saved."""
    if store.index_folder is not None:
        CorpusIndex.prepare(store, store.fingerprint())


def _chunk_rows(
    store: ArticleStore | StoreFile, records: list[ArticleRecord]
) -> Iterator[ChunkRow]:
    for chunk_id, record, text in store.committed_chunk_texts(records):
        yield chunk_id, record.id, text, embed_content(record, text)


def build_in_child(store: ArticleStore, generation: str, folder: Path) -> None:
    """Build and save the index in a child process that reads the chunks or is fed them.

    At 100k chunks the build holds hundreds of MB of token arrays and counts, and a minute of
    Python work; in the bot's own process that raised its peak memory and slowed every question
    asked meanwhile (they share the interpreter lock). An embedded store's child reads the rows
    from the store's file (`StoreFile`); a server store's are read here and sent a page at a
    time on its stdin (the child has no Chroma client of its own). It is a `python -m` child, not
    a multiprocessing one, which would re-run the caller's main script.
    """
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "citedesk.vectorstore._build_child", generation, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        assert child.stdin is not None
        try:
            with child.stdin as pipe:
                _send_rows(store, pipe)
        except OSError:  # the child died: its message says why
            pass
        finally:
            status = child.wait()
        if status != 0:
            errors.seek(0)
            lines = errors.read().decode(errors="replace").strip().splitlines()
            raise OSError(lines[-1] if lines else f"the index build exited with status {status}")


def _send_rows(store: ArticleStore, pipe: Any) -> None:
    """Give the child the store's file to read, or else the records and rows themselves."""
    source = store.file()
    pickle.dump(source, pipe)
    if source is not None:
        return
    records = store.articles()
    pickle.dump([record.model_dump(exclude={"text"}) for record in records], pipe)
    page: list[ChunkRow] = []
    for row in _chunk_rows(store, records):
        page.append(row)
        if len(page) >= _BUILD_PAGE:
            pickle.dump(page, pipe)
            page = []
    pickle.dump(page, pipe)
    pickle.dump(None, pipe)


def build_from_stdin(generation: str, folder: str) -> int:
    """The child's side of `build_in_child`: one line on stderr if it fails, never a traceback."""
    try:
        stream = sys.stdin.buffer
        # Our own parent wrote these (trusted): pickle keeps the rows cheap to pass.
        source: StoreFile | None = pickle.load(stream)
        if source is not None:
            records = source.articles()
            rows: Iterator[ChunkRow] = _chunk_rows(source, records)
        else:
            records = [ArticleRecord.model_validate(record) for record in pickle.load(stream)]
            rows = _fed_rows(stream)
        CorpusIndex.from_rows(generation, records, rows).save(Path(folder))
    except Exception as exc:  # the parent builds in its own process instead
        print(f"building the retrieval index failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _fed_rows(stream: Any) -> Iterator[ChunkRow]:
    while (page := pickle.load(stream)) is not None:
        yield from page


def _lock_file(folder: Path, generation: str) -> Path:
    """The file whose lock says a process is building this generation's index."""
    return folder / f".{generation}{_LOCK_SUFFIX}"


@contextlib.contextmanager
def _build_lock(folder: Path, generation: str) -> Iterator[None]:
    """Hold an exclusive lock on building this generation (waits while another process does).

    A folder that cannot hold a lock file (read-only) builds without one."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = _lock_file(folder, generation).open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the handle closes, or the process dies
        yield


def _saved_meta(folder: Path, generation: str) -> dict[str, Any] | None:
    """The meta file saved in `folder` (written last), if it is of this generation and format;
    raises what reading it raises."""
    meta: dict[str, Any] = json.loads((folder / _META).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("generation") != generation:
        return None
    return meta


def _is_saved(folder: Path, generation: str) -> bool:
    """Say whether a complete index of this generation and format is saved in `folder`;
    `CorpusIndex.load` still checks the rest."""
    try:
        return _saved_meta(folder, generation) is not None
    except (OSError, ValueError, AttributeError):  # AttributeError: a meta that is not an object
        return False


def _being_built(folder: Path, generation: str) -> bool:
    """Say whether some process holds the build lock of this generation now."""
    try:
        with _lock_file(folder, generation).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False  # it was free (closing the handle released it)


def _remove_others(folder: Path, keep: str) -> None:
    """Delete the saved indexes of other generations (a reader that mapped one keeps its copy)."""
    for child in _children(folder):
        if child == _lock_file(folder, keep):
            continue
        if child.name.endswith(_LOCK_SUFFIX):
            with contextlib.suppress(OSError):
                child.unlink()
        elif child.name != keep and not child.name.startswith(f"{keep}.partial"):
            with contextlib.suppress(OSError):
                shutil.rmtree(child)


def _children(folder: Path) -> Iterable[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []
