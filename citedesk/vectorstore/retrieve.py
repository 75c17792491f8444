"""Hybrid retrieval: dense (Chroma) and BM25 over the committed chunks, fused by reciprocal rank.

`HybridRetriever` is a llama-index `BaseRetriever`, so it drops into anyone's llama-index code
(`Desk.as_retriever()`); the answering engine uses it the same way. It keeps no chunk or article
text in memory: BM25 ranks chunk ids (`CorpusIndex`, saved on disk per store generation), Chroma's
vector search gives ids too, and only the chunks that fusion keeps are read from Chroma, in one
call; the articles an answer needs are read there as well, recent ones cached.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle, TextNode

from citedesk.vectorstore._corpus_index import CHILD_BUILD_CHUNKS, CorpusIndex
from citedesk.vectorstore._readers import Readers
from citedesk.vectorstore.memory import give_back_freed_memory
from citedesk.vectorstore.store import ArticleRecord, ArticleStore
from citedesk.vectorstore.terms import Vocabulary

log = logging.getLogger(__name__)

# The dense side casts a wider net: it is the one that finds paraphrases.
DENSE_FACTOR = 2
# Generations one background load catches up with before it leaves the rest to the next question.
_BACKGROUND_ROUNDS = 3
# How long a question waits for a new index before it is answered from the current one.
_QUESTION_WAIT_SECONDS = 2.0
# Articles (with their text) kept between questions: a conversation keeps quoting the same few.
# Bounded by their text as well as their number: scraped pages run to a million characters (two
# such among 256 cached articles held 4.8 MB of text), news articles to a few thousand.
_ARTICLE_CACHE = 256
_ARTICLE_CACHE_CHARS = 1_000_000
# How long a new large index waits for a moment between questions before it is loaded beside the
# current one (a bot answers one question at a time, so the moment comes within one question).
_SWAP_WAIT_SECONDS = 30.0


def _ids_only(hits: Iterable[tuple[str, float]]) -> list[NodeWithScore]:
    """Chunks named by id alone: fusion needs no more, and the chunks it keeps are read after."""
    return [
        NodeWithScore(node=TextNode(id_=chunk_id, text=""), score=score) for chunk_id, score in hits
    ]


class ArticleCache:
    """The articles with text read most recently, by (id, content hash); safe across threads.

    At most `most` of them and `most_chars` characters of text in all, less the oldest first
    (the newest is kept even when it alone is longer)."""

    def __init__(self, most: int = _ARTICLE_CACHE, most_chars: int = _ARTICLE_CACHE_CHARS) -> None:
        self._most = most
        self._most_chars = most_chars
        self._records: OrderedDict[tuple[str, str], ArticleRecord] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> ArticleRecord | None:
        with self._lock:
            record = self._records.get(key)
            if record is not None:
                self._records.move_to_end(key)
            return record

    def put(self, key: tuple[str, str], record: ArticleRecord) -> None:
        with self._lock:
            if key in self._records:
                return
            self._records[key] = record
            self._chars += len(record.text)
            while len(self._records) > 1 and (
                len(self._records) > self._most or self._chars > self._most_chars
            ):
                _, oldest = self._records.popitem(last=False)
                self._chars -= len(oldest.text)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def chars(self) -> int:
        """The characters of text held."""
        return self._chars


@dataclass
class ArticleTexts:
    """Articles with their text, as `HybridRetriever.articles_with_text` found them: `cached`
    from earlier questions, `read` from the store just now (as stored at this moment)."""

    cached: dict[str, ArticleRecord] = field(default_factory=dict)
    read: dict[str, ArticleRecord] = field(default_factory=dict)

    def all(self) -> dict[str, ArticleRecord]:
        return {**self.cached, **self.read}


class _FusionById(QueryFusionRetriever):
    """Reciprocal rank fusion that knows a chunk by its id.

    llama-index fuses by `node.hash`, which covers the text and metadata; both retrievers here
    give id-only nodes, and a chunk found by both has both ranks.
    """

    def _reciprocal_rerank_fusion(
        self, results: dict[tuple[str, int], list[NodeWithScore]]
    ) -> list[NodeWithScore]:
        k = 60.0  # as llama-index and the RRF paper
        fused: dict[str, float] = {}
        nodes: dict[str, NodeWithScore] = {}
        for found in results.values():
            ranked = sorted(found, key=lambda result: result.score or 0.0, reverse=True)
            for rank, result in enumerate(ranked):
                chunk_id = result.node.node_id
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (rank + k)
                nodes.setdefault(chunk_id, result)
        order = sorted(fused, key=lambda chunk_id: fused[chunk_id], reverse=True)
        return [NodeWithScore(node=nodes[i].node, score=fused[i]) for i in order]


class _DenseIds(BaseRetriever):
    """The chunks nearest to the question's embedding in Chroma, by id.

    llama-index's vector index retriever reads every result's row; half of them do not survive
    fusion, and a row (its packed sentence vectors) costs three times the search to read: at
    102k chunks, 8.2 ms for 32 rows against 2.6 ms for their ids.
    """

    def __init__(
        self,
        store: ArticleStore,
        embed_model: BaseEmbedding,
        top_k: int,
        callback_manager: CallbackManager,
    ) -> None:
        super().__init__(callback_manager=callback_manager)
        self._store = store
        self._embed_model = embed_model
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        embedding = query_bundle.embedding or self._embed_model.get_query_embedding(
            query_bundle.query_str
        )
        return _ids_only(self._store.nearest_chunk_ids(embedding, self._top_k))


class _ChunkBM25Retriever(BaseRetriever):
    """BM25 over the corpus index, by chunk id."""

    def __init__(self, index: CorpusIndex, top_k: int, callback_manager: CallbackManager) -> None:
        super().__init__(callback_manager=callback_manager)
        self._index = index
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return _ids_only(self._index.search(query_bundle.query_str, self._top_k))


class HybridRetriever(BaseRetriever):
    """Retrieves committed chunks; reloads itself when another process changes the store."""

    def __init__(
        self, store: ArticleStore, embed_model: BaseEmbedding, top_k: int, **kwargs: Any
    ) -> None:
        # The embedding model's callback manager (see `retrieve`): a question's embedding,
        # wherever it is made, goes in the map that each retrieval's trace clears.
        kwargs.setdefault("callback_manager", embed_model.callback_manager)
        super().__init__(**kwargs)
        self._store = store
        self._embed_model = embed_model
        self._top_k = top_k
        self._lock = threading.Lock()
        self._background: threading.Thread | None = None
        self._background_guard = threading.Lock()
        self._fingerprint: str | None = None
        self._fusion: BaseRetriever | None = None
        self._index = CorpusIndex.empty()
        self._texts = ArticleCache()
        self._readers = Readers()

    @property
    def store(self) -> ArticleStore:
        return self._store

    @property
    def articles(self) -> Mapping[str, ArticleRecord]:
        """The committed articles by id, without their text (see `articles_with_text`)."""
        return self._index.articles

    @property
    def vocabulary(self) -> Vocabulary:
        return self._index.vocabulary

    def refresh(self, *, wait: bool = False) -> None:
        """Load (or build) the index of the committed chunks if the store changed.

        A change is loaded in the background: a question waits for it at most
        `_QUESTION_WAIT_SECONDS`, then is answered from the current index while the new one builds
        (a minute at 100k chunks, after another process's ingest). Only the first load, or a
        caller that says `wait` (after its own write), waits for it whole.
        """
        fingerprint = self._store.fingerprint()
        if fingerprint == self._fingerprint:
            return
        if wait or self._fingerprint is None:
            self._load(fingerprint)
            return
        with self._background_guard:
            if self._background is None or not self._background.is_alive():
                self._background = threading.Thread(
                    target=self._load_newest, name="citedesk-index", daemon=True
                )
                self._background.start()
            background = self._background
        # A small store's index is ready in a moment: the question waits for it, so it sees the
        # change. A large one's (a child process, a minute) is not waited for.
        if not self._large:
            background.join(timeout=_QUESTION_WAIT_SECONDS)

    @property
    def _large(self) -> bool:
        """Whether the store is large enough that an index build takes a child process and a
        minute (judged by the current index, which costs nothing to ask)."""
        return len(self._index) >= CHILD_BUILD_CHUNKS

    def _load_newest(self) -> None:
        try:
            # An ingest may publish again while this one builds: catch up before stopping.
            for _ in range(_BACKGROUND_ROUNDS):
                fingerprint = self._store.fingerprint()
                if fingerprint == self._fingerprint:
                    return
                # On a shared store another process published it and, if it shares the data
                # folder, builds its index: at scale (a minute, hundreds of MB) let it start
                # before building a copy here.
                grace = self._store.index_grace_seconds if self._large else 0.0
                if not self._load(fingerprint, grace=grace):
                    return
        except Exception:  # the next question tries again; never kill the caller's thread
            log.exception("loading the new retrieval index failed; answering from the old one")

    def _load(self, fingerprint: str, *, grace: float = 0.0) -> bool:
        """Load this generation's index; False if it was already loaded."""
        with self._lock:
            if fingerprint == self._fingerprint:
                return False
            if not self._large:  # small: loaded beside the current one, which questions use
                self._install(CorpusIndex.open(self._store, fingerprint, grace=grace), fingerprint)
                return True
            unsaved = CorpusIndex.prepare(self._store, fingerprint, grace=grace)
            if unsaved is not None:  # built here and not saved (a read-only folder): in memory
                self._install(unsaved, fingerprint)
                return True
            # Saved (built in a child, a minute at 100k chunks): swapped in between questions,
            # the old index dropped before the new one is loaded (see `Readers`).
            with self._readers.alone(wait=_SWAP_WAIT_SECONDS) as alone:
                if alone:
                    # Nothing loaded, should the load fail: the next question loads it itself.
                    self._install(CorpusIndex.empty(), None)
                    give_back_freed_memory()
                self._install(CorpusIndex.open(self._store, fingerprint), fingerprint)
            return True

    def _install(self, index: CorpusIndex, fingerprint: str | None) -> None:
        fusion: BaseRetriever | None = None
        if len(index):
            # One callback manager for the retrievers fused and this one (see `retrieve`).
            callbacks = self.callback_manager
            dense = _DenseIds(self._store, self._embed_model, self._top_k * DENSE_FACTOR, callbacks)
            bm25 = _ChunkBM25Retriever(index, self._top_k, callbacks)
            fusion = _FusionById(
                [dense, bm25],
                callback_manager=callbacks,
                mode=FUSION_MODES.RECIPROCAL_RANK,
                similarity_top_k=self._top_k,
                num_queries=1,  # no LLM query rewriting: retrieval must work offline
                use_async=False,
                llm=MockLLM(),
            )
        self._index, self._fusion = index, fusion
        self._fingerprint = fingerprint

    def reading(self) -> AbstractContextManager[None]:
        """Answer a whole question from one index: a new one is swapped in between questions."""
        return self._readers.reading()

    def between_questions(self, wait: float) -> AbstractContextManager[bool]:
        """Run a block when no question is being answered, holding new ones back until it ends
        (or, after `wait` seconds without such a moment, beside them): see `Readers.alone`."""
        return self._readers.alone(wait=wait)

    def articles_with_text(self, article_ids: Collection[str]) -> ArticleTexts:
        """The committed versions of these articles, text included (from a cache or the store)."""
        wanted = {
            article_id: (article_id, record.content_hash)
            for article_id in article_ids
            if (record := self.articles.get(article_id)) is not None
        }
        found = ArticleTexts()
        for article_id, key in wanted.items():
            if (cached := self._texts.get(key)) is not None:
                found.cached[article_id] = cached
        missing = [article_id for article_id in wanted if article_id not in found.cached]
        for article_id, record in self._store.articles_by_id(missing).items():
            if (article_id, record.content_hash) != wanted[article_id]:
                continue  # changed since the index was built: wait for the next refresh
            found.read[article_id] = record
            self._texts.put(wanted[article_id], record)
        return found

    def article_stems(self, article_id: str, stems: Iterable[str]) -> set[str]:
        """Which of these stems the whole article uses (its title included)."""
        return self._index.article_stems.present(article_id, stems)

    def article_chunks(self, article_id: str) -> list[BaseNode]:
        """The committed chunks of an article, in reading order."""
        record = self.articles.get(article_id)
        return list(self._store.article_chunks(record)) if record is not None else []

    def retrieve(self, str_or_query_bundle: str | QueryBundle) -> list[NodeWithScore]:
        """Retrieve as llama-index does, inside a trace of its own.

        llama-index's callback manager keeps the id of every event until the trace it belongs
        to ends, and outside any trace (a bot answering, question after question) that is never:
        ~400 bytes more each question, without end. A trace per retrieval, in the manager this
        retriever shares with the ones it fuses and the embedding model, is cleared when the
        next begins. Inside a caller's trace, that trace holds them, as llama-index's query
        engines do.
        """
        with self.callback_manager.as_trace("retrieve"):
            return super().retrieve(str_or_query_bundle)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """Return fused chunks for a query, spelling variants of names added, best first."""
        with self.reading():
            return self._retrieve_current(query_bundle)

    def _retrieve_current(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        self.refresh()
        if self._fusion is None:
            return []
        # A caller that brings the query's embedding chose its text (the engine adds the names'
        # spellings itself); expanding it again would add the spellings' own variants and make
        # llama-index embed that text anew: a second model call for a third of the questions.
        if query_bundle.embedding is None:
            query = query_bundle.query_str
            if variants := self.vocabulary.expand(query):
                query_bundle = QueryBundle(f"{query} {' '.join(variants)}")
        fused = self._fusion.retrieve(query_bundle)
        # The chunks fusion kept, read in one call (text, metadata and sentence vectors).
        read = {
            node.node_id: node for node in self._store.chunks_by_id([r.node.node_id for r in fused])
        }
        # Chunks of an uncommitted or replaced version are never returned.
        return [
            NodeWithScore(node=node, score=result.score)
            for result in fused
            if (node := read.get(result.node.node_id)) is not None
            and (record := self.articles.get(str(node.metadata.get("article_id"))))
            and record.content_hash == node.metadata.get("content_hash")
        ]
