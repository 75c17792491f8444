"""Hybrid retrieval: dense (Chroma) and BM25 over the committed chunks, fused by reciprocal rank.

`HybridRetriever` is a llama-index `BaseRetriever`, so it drops into anyone's llama-index code
(`Desk.as_retriever()`); the answering engine uses it the same way.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import Stemmer
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.retrievers.bm25 import BM25Retriever

from citedesk.vectorstore.sentences import VECTORS_KEY
from citedesk.vectorstore.store import ArticleRecord, ArticleStore
from citedesk.vectorstore.terms import Vocabulary

# bm25s sets its own logger to DEBUG on import, which would print on every index build.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# The dense side casts a wider net: it is the one that finds paraphrases.
DENSE_FACTOR = 2


class _FusionById(QueryFusionRetriever):
    """Reciprocal rank fusion that knows a chunk by its id.

    llama-index fuses by `node.hash`, which covers the metadata: a chunk found by the dense side
    (its sentence vectors in the metadata) and by BM25 (without them) counted as two chunks, each
    with one rank, instead of one chunk with both. The dense copy is kept: it carries the vectors.
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
                if chunk_id not in nodes or VECTORS_KEY in result.node.metadata:
                    nodes[chunk_id] = result
        order = sorted(fused, key=lambda chunk_id: fused[chunk_id], reverse=True)
        return [NodeWithScore(node=nodes[i].node, score=fused[i]) for i in order]


class HybridRetriever(BaseRetriever):
    """Retrieves committed chunks; reloads itself when another process changes the store."""

    def __init__(
        self, store: ArticleStore, embed_model: BaseEmbedding, top_k: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._store = store
        self._embed_model = embed_model
        self._top_k = top_k
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._fusion: BaseRetriever | None = None
        self.articles: dict[str, ArticleRecord] = {}
        self.chunks: dict[str, list[BaseNode]] = {}  # each article's committed chunks, in order
        self.vocabulary = Vocabulary([])

    @property
    def store(self) -> ArticleStore:
        return self._store

    def refresh(self) -> None:
        """Rebuild the BM25 index and article cache if the committed articles changed."""
        fingerprint = self._store.fingerprint()
        if fingerprint == self._fingerprint:
            return
        with self._lock:
            if fingerprint == self._fingerprint:
                return
            articles = {record.id: record for record in self._store.articles(with_text=True)}
            nodes = self._store.chunk_nodes()
            chunks: dict[str, list[BaseNode]] = {}
            for node in nodes:
                chunks.setdefault(str(node.metadata.get("article_id")), []).append(node)
            for article_chunks in chunks.values():
                article_chunks.sort(key=lambda node: int(node.metadata.get("start", 0)))
            self.vocabulary = Vocabulary(node.text for node in nodes)
            if nodes:
                dense = VectorStoreIndex.from_vector_store(
                    self._store.vector_store,
                    embed_model=self._embed_model,
                    # Never used (this index only reads), but without it llama-index builds its
                    # default SentenceSplitter, which loads tiktoken's BPE file: 0.4-0.6 s.
                    transformations=[self._embed_model],
                ).as_retriever(similarity_top_k=self._top_k * DENSE_FACTOR)
                bm25 = BM25Retriever.from_defaults(
                    nodes=list[BaseNode](nodes),
                    similarity_top_k=min(self._top_k, len(nodes)),
                    stemmer=Stemmer.Stemmer("english"),
                    language="english",
                )
                self._fusion = _FusionById(
                    [dense, bm25],
                    mode=FUSION_MODES.RECIPROCAL_RANK,
                    similarity_top_k=self._top_k,
                    num_queries=1,  # no LLM query rewriting: retrieval must work offline
                    use_async=False,
                    llm=MockLLM(),
                )
            else:
                self._fusion = None
            self.articles = articles
            self.chunks = chunks
            self._fingerprint = fingerprint

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """Return fused chunks for a query, spelling variants of names added, best first."""
        self.refresh()
        if self._fusion is None:
            return []
        query = query_bundle.query_str
        variants = self.vocabulary.expand(query)
        if variants:  # the caller's embedding, if any, was of the text without them
            query_bundle = QueryBundle(f"{query} {' '.join(variants)}")
        results = self._fusion.retrieve(query_bundle)
        # Chunks of an uncommitted or replaced version are never returned.
        return [
            result
            for result in results
            if (record := self.articles.get(str(result.node.metadata.get("article_id"))))
            and record.content_hash == result.node.metadata.get("content_hash")
        ]
