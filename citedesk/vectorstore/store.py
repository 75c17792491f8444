"""The article store: chunks and article records in Chroma, embedded on disk or on a server.

An article's record (in the `<prefix>_articles` collection) is its commit point: chunks are
written first under the article's new content hash, then the record is upserted, then chunks
of any other hash are deleted. Readers only trust chunks whose hash matches the record, so an
interrupted write can never make a partial or outdated version citable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import BaseNode, MetadataMode, TextNode
from llama_index.core.vector_stores.types import VectorStoreQueryResult
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import BaseModel, Field

from citedesk.errors import StoreError
from citedesk.settings import BUNDLED_MODELS, Settings
from citedesk.vectorstore._lock import hold_store_lock
from citedesk.vectorstore._sqlite_scan import SqliteRows, SqliteScan
from citedesk.vectorstore._vector_graph import save_vector_graph
from citedesk.vectorstore.memory import give_back_freed_memory
from citedesk.vectorstore.rows import ChunkRows
from citedesk.vectorstore.sentences import VECTORS_KEY

# Chroma wants an embedding for every record; article records are looked up by id only.
_NO_VECTOR: list[float] = [0.0]
# A record beside the articles whose value changes with every commit, written in the same upsert
# as the article: readers compare one small record instead of reading every article.
GENERATION_ID = "__citedesk_generation__"
_PAGE = 500
# The article metadata embedded (and indexed for BM25) with each chunk's text.
EMBEDDED_METADATA = ("title",)
# Chunks per Chroma write (its limit per call is several thousand). Each chunk carries ~8 KB of
# sentence vectors, and Chroma holds a call's rows several times over while it writes them: alone,
# a call of 2,000 rows raised the peak by 156 MB, 500 rows by 78 MB. A bot ingesting beside its
# answers showed it: one 1.2 MB scraped page (~1,100 chunks, one call) lifted the bot by 36-55 MB
# for a second. Pages of 256 bound that, at a few more SQLite transactions per ingest.
WRITE_PAGE = 256
# How often a reader of the store's file looks again for a logged write to be applied.
_SETTLE_POLL_SECONDS = 0.1


class ChunkVectorStore(ChromaVectorStore):
    """llama-index's Chroma vector store, with each chunk's packed sentence vectors stored once.

    `add` writes nodes as `ChunkRows` (the vectors out of `_node_content`, in their own field
    only); `_query` puts them back on the nodes it returns, so dense results carry them as before.
    """

    @classmethod
    def class_name(cls) -> str:
        return "ChromaVectorStore"

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        rows = ChunkRows.from_nodes(nodes)
        self.add_rows(rows)
        return rows.ids

    def add_rows(self, rows: ChunkRows) -> None:
        if not len(rows):
            return
        # Upsert: a leftover of an interrupted write of this same version is overwritten.
        self._collection.upsert(
            ids=rows.ids,
            embeddings=rows.embeddings,
            metadatas=rows.metadatas,  # type: ignore[arg-type]
            documents=rows.documents,
        )

    def _query(
        self, query_embeddings: list[float], n_results: int, where: dict[str, Any], **kwargs: Any
    ) -> VectorStoreQueryResult:
        results = self._collection.query(
            query_embeddings=query_embeddings,
            n_results=n_results,
            where=where or None,
            **kwargs,
        )
        nodes: list[BaseNode] = []
        similarities: list[float] = []
        ids: list[str] = []
        rows = zip(
            results["ids"][0],
            (results["documents"] or [[]])[0],
            (results["metadatas"] or [[]])[0],
            (results["distances"] or [[]])[0],
            strict=False,
        )
        for chunk_id, text, meta, distance in rows:
            meta = dict(meta or {})
            node = _node_from_row(chunk_id, meta, text or "")
            if VECTORS_KEY in meta:
                node.metadata[VECTORS_KEY] = meta[VECTORS_KEY]
            nodes.append(node)
            similarities.append(math.exp(-distance))
            ids.append(chunk_id)
        return VectorStoreQueryResult(nodes=nodes, similarities=similarities, ids=ids)


class ArticleRecord(BaseModel):
    """What the store knows about one article; `text` is the cleaned article itself."""

    id: str = Field(description="Stable id: the canonical URL, or the file's absolute path.")
    source: str = Field(description="Where it came from, as shown to people (URL or file name).")
    title: str
    outlet: str | None = None
    published: str | None = None
    content_hash: str
    ingested_at: str = Field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )
    chunks: int = 0
    text: str = ""

    def metadata(self) -> dict[str, str | int]:
        fields = self.model_dump(exclude={"id", "text"})
        return {key: value for key, value in fields.items() if value is not None}


def chunk_id(article_id: str, content_hash: str, index: int) -> str:
    """A chunk's id names its article and the article's version: `<prefix>-<hash>-<index>`."""
    return f"{_version_of(article_id, content_hash)}-{index}"


def embed_content(record: ArticleRecord, text: str) -> str:
    """A chunk's text as it was embedded and indexed: with its article's embedded metadata."""
    metadata = {key: getattr(record, key) for key in EMBEDDED_METADATA}
    return TextNode(text=text, metadata=metadata).get_content(metadata_mode=MetadataMode.EMBED)


_CHUNK_ID = re.compile(r"[0-9a-f]{16}-[0-9a-f]{12}-\d+")


def _version_of(article_id: str, content_hash: str) -> str:
    return f"{hashlib.sha1(article_id.encode()).hexdigest()[:16]}-{content_hash[:12]}"


def _version_in(row_id: str) -> str | None:
    """The article version a chunk id names (`chunk_id`); None for an id citedesk did not write."""
    return row_id.rpartition("-")[0] if _CHUNK_ID.fullmatch(row_id) else None


class ArticleStore:
    """Chroma collections for one corpus; subclasses say how to reach Chroma."""

    kind = "abstract"
    # Seconds another process that published a generation is given to start building its
    # retrieval index (see CorpusIndex.open); only a shared (server) store has other writers.
    index_grace_seconds = 0.0

    def __init__(self, client: ClientAPI, prefix: str, embed_model_name: str) -> None:
        self._attach(client, prefix, embed_model_name)
        # Where retrieval keeps its index of this store (see _corpus_index); None: in memory only.
        self.index_folder: Path | None = None
        self._deferring = 0
        self._unpublished = False
        # Around each Chroma write: set by a process that answers questions (`Desk`) to wait for
        # a moment between them. Chroma's Rust binding holds the interpreter lock for the whole
        # of a write (at 102k chunks, 515-574 ms for 256 chunks), so no question moves meanwhile;
        # a question that comes during one waits for that one only. (A bot's ingest on an
        # embedded store writes from a child process instead: ingest/_ingest_process.py.)
        self.write_turn: Callable[[], contextlib.AbstractContextManager[object]] = (
            contextlib.nullcontext
        )

    def _attach(self, client: ClientAPI, prefix: str, embed_model_name: str) -> None:
        """Open this store's collections through `client`."""
        self._client = client
        try:
            self._chunks = _open_chunks(client, chunks_collection_name(prefix), embed_model_name)
            self._articles = client.get_or_create_collection(f"{prefix}_articles")
        except Exception as exc:  # chromadb raises many types; all mean "store unusable"
            raise StoreError(f"cannot open the Chroma collections: {exc}") from exc
        stored_model = (self._chunks.metadata or {}).get("embed_model")
        if stored_model in BUNDLED_MODELS and embed_model_name in BUNDLED_MODELS:
            # The bundled model's two builds (float, int8) answer alike; a store keeps the one it
            # was embedded with, so changing the default never locks anyone out of their store.
            embed_model_name = stored_model
        # The model this store's vectors come from: ingest and questions must both use it.
        self.embed_model_name = embed_model_name
        if stored_model and stored_model != embed_model_name:
            raise StoreError(
                f"this store was embedded with {stored_model!r}, not {embed_model_name!r}; "
                "use another CITEDESK_DATA_DIR or CITEDESK_COLLECTION for a new model"
            )
        self.vector_store = ChunkVectorStore(chroma_collection=self._chunks)  # type: ignore[call-arg]

    def reopen(self) -> None:
        """See what another process wrote for this one (`ingest_in_child_process`); a store
        that every process reaches alike (a server) sees it already."""

    # --- articles -------------------------------------------------------------------------
    def articles(self, *, with_text: bool = False) -> list[ArticleRecord]:
        """Return every committed article, oldest first."""
        include: Any = ["metadatas", "documents"] if with_text else ["metadatas"]
        return _articles_in(self._all_rows(self._articles, include))

    def article(self, article_id: str) -> ArticleRecord | None:
        return self.articles_by_id([article_id]).get(article_id)

    def _scan(self, collection: Any) -> SqliteScan | None:
        """A read of a whole collection that bypasses Chroma (an embedded store's file), or
        None: read it through Chroma."""
        return None

    def _all_rows(self, collection: Any, include: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
        """Every row of a collection, as `_paged_rows` gives them: from the store's file when it
        can be read (ids, documents or metadatas alone; see `_scan`), else through Chroma."""
        scan = self._scan(collection) if len(include) <= 1 else None
        if scan is None:
            return _paged_rows(collection, include)
        return _scanned_rows(scan, include)

    def file(self) -> StoreFile | None:
        """The store's file, for a child process to read its rows from, or None: this store
        is read through Chroma only."""
        return None

    def fingerprint(self) -> str:
        """Return a value that changes with every commit, from any process (one small read)."""
        page = self._articles.get(ids=[GENERATION_ID], include=["metadatas"])
        metadatas = page["metadatas"] or [{}]
        return str((metadatas[0] or {}).get("generation", "")) if page["ids"] else ""

    @staticmethod
    def _new_generation() -> dict[str, str]:
        return {"generation": uuid.uuid4().hex}

    def _committed(self, generation: str) -> None:
        """Called after this process committed a new generation."""

    @contextlib.contextmanager
    def one_publication(self) -> Iterator[None]:
        """Commit articles as usual inside, but change the generation only once, at the end.

        Each article is still committed on its own (an interruption keeps every article written
        so far), but readers that rebuild on a new generation (the retriever: BM25 and the
        article cache over every chunk) do so once per ingest instead of once per commit, which
        at 100k chunks would stall every question asked during a long ingest.
        """
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
            if not self._deferring and self._unpublished:
                self._publish()

    def _publish(self) -> None:
        generation = self._new_generation()
        self._articles.upsert(
            ids=[GENERATION_ID],
            documents=[""],
            metadatas=[generation],
            embeddings=[_NO_VECTOR],  # type: ignore[arg-type]
        )
        self._unpublished = False
        self._committed(generation["generation"])

    # --- writing --------------------------------------------------------------------------
    def write_article(self, record: ArticleRecord, rows: ChunkRows) -> None:
        """Replace an article's chunks and record so that readers see old or new, never a mix."""
        self.write_articles([(record, rows)])

    def write_articles(
        self,
        items: Sequence[tuple[ArticleRecord, ChunkRows]],
        *,
        new_ids: Collection[str] = (),
    ) -> None:
        """Write several articles with one commit; readers see each old or new, never a mix.

        Chunks go in first (upserted by id: a leftover of an interrupted write of the same
        version is overwritten), then every record and a new generation in one upsert (the
        commit), then the chunks of other versions are deleted. `new_ids` names articles the
        caller knows had no committed version, which skips that delete for them. A handful of
        Chroma calls per batch instead of five per article: each call is a SQLite transaction,
        which cost more than the rows themselves; chunks go `WRITE_PAGE` at a time.
        """
        if not items:
            return
        try:
            rows = ChunkRows.joined([article_rows for _, article_rows in items])
            for start in range(0, len(rows), WRITE_PAGE):
                with self.write_turn():
                    self.vector_store.add_rows(rows.slice(start, start + WRITE_PAGE))
            for record, article_rows in items:
                record.chunks = len(article_rows)
            ids = [record.id for record, _ in items]
            documents = [record.text for record, _ in items]
            metadatas: list[Any] = [record.metadata() for record, _ in items]
            generation = self._new_generation()
            if not self._deferring:  # the records and a new generation, together
                ids, documents = [*ids, GENERATION_ID], [*documents, ""]
                metadatas.append(generation)
            with self.write_turn():
                self._articles.upsert(  # the commit
                    ids=ids,
                    documents=documents,
                    metadatas=metadatas,
                    embeddings=[_NO_VECTOR] * len(ids),  # type: ignore[arg-type]
                )
            if self._deferring:
                self._unpublished = True
            else:
                self._committed(generation["generation"])
            for record, _ in items:
                if record.id in new_ids:
                    continue
                older: Any = {"$ne": record.content_hash}  # chromadb's Where type is too narrow
                with self.write_turn():
                    self._chunks.delete(
                        where={"$and": [{"article_id": record.id}, {"content_hash": older}]}
                    )
        except Exception as exc:
            names = ", ".join(record.source for record, _ in items[:3])
            more = f" and {len(items) - 3} more" if len(items) > 3 else ""
            raise StoreError(f"could not write {names}{more}: {exc}") from exc

    def delete_article(self, article_id: str) -> None:
        """Forget an article: its record first (so nothing is citable), then its chunks."""
        self.delete_articles([article_id])

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        """Forget articles: their records first (so nothing is citable), then their chunks.

        One publication for all of them: readers rebuild their index once, not per article.
        """
        for start in range(0, len(article_ids), _PAGE):
            self._articles.delete(ids=list(article_ids[start : start + _PAGE]))
        self._publish()
        for start in range(0, len(article_ids), _PAGE):
            among: Any = {"$in": list(article_ids[start : start + _PAGE])}  # Where is too narrow
            self._chunks.delete(where={"article_id": among})

    def collect_garbage(self) -> int:
        """Delete chunks left by interrupted writes; return how many went.

        Judged by id alone: a chunk's id names its article and version (`chunk_id`). Every
        ingest starts here, and reading each row's metadata (~8 KB of sentence vectors) through
        Chroma took the bot at 102k chunks from 523 to ~575 MB before its ingest had begun. Rows
        whose id is not in that form were not written by citedesk and are left alone."""
        committed = {_version_of(record.id, record.content_hash) for record in self.articles()}
        stale = [
            row_id
            for row_id, _, _ in self._all_rows(self._chunks, [])
            if (version := _version_in(row_id)) is not None and version not in committed
        ]
        for start in range(0, len(stale), _PAGE):
            self._chunks.delete(ids=stale[start : start + _PAGE])
        return len(stale)

    # --- reading chunks -------------------------------------------------------------------
    def committed_chunks(self) -> Iterator[tuple[str, dict[str, Any], str]]:
        """Yield the id, stored metadata and text of every committed chunk, a page at a time."""
        committed = {record.id: record.content_hash for record in self.articles()}
        for chunk_id, meta, text in _paged_rows(self._chunks, ["metadatas", "documents"]):
            if committed.get(str(meta.get("article_id"))) == meta.get("content_hash"):
                yield chunk_id, meta, text

    def committed_chunk_texts(
        self, records: Iterable[ArticleRecord]
    ) -> Iterator[tuple[str, ArticleRecord, str]]:
        """Yield the id, article and text of every committed chunk of these articles.

        Reads the documents alone: a chunk's id names its article and version (`chunk_id`), so
        the metadata, ~8 KB of sentence vectors a row, stays unread (the retrieval index build
        at 108k chunks: +31 MB transient instead of +76 with it). Rows whose id is not in that
        form were not written by citedesk and are skipped, as `committed_chunks` skips them.
        """
        return _committed_texts(records, self._all_rows(self._chunks, ["documents"]))

    def chunk_nodes(self) -> list[TextNode]:
        """Return every committed chunk as a small llama-index node (see `slim_node`)."""
        return [slim_node(i, meta, text) for i, meta, text in self.committed_chunks()]

    def nearest_chunk_ids(self, embedding: Sequence[float], k: int) -> list[tuple[str, float]]:
        """The ids of the `k` chunks nearest to an embedding, best first, with their similarity
        (as `ChunkVectorStore` gives it). Ids only: a row's metadata (its packed sentence vectors)
        costs three times the search to read, and a caller reads only the chunks it keeps."""
        if k <= 0:
            return []
        found = self._chunks.query(
            query_embeddings=[list(embedding)], n_results=k, include=["distances"]
        )
        distances = (found["distances"] or [[]])[0]
        return [
            (chunk_id, math.exp(-distance))
            for chunk_id, distance in zip(found["ids"][0], distances, strict=False)
        ]

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[TextNode]:
        """Return these chunks (sentence vectors included, as dense results have them), in the
        order asked; ids not stored are skipped."""
        if not chunk_ids:
            return []
        rows = self._by_id(self._chunks, list(dict.fromkeys(chunk_ids)))
        found = {row[0]: _node_with_vectors(*row) for row in rows}
        return [found[chunk_id] for chunk_id in chunk_ids if chunk_id in found]

    def article_chunks(self, record: ArticleRecord) -> list[TextNode]:
        """Return the chunks of this version of an article (sentence vectors included), in
        reading order."""
        where: Any = {"$and": [{"article_id": record.id}, {"content_hash": record.content_hash}]}
        page = self._chunks.get(where=where, include=["metadatas", "documents"])
        nodes = [_node_with_vectors(*row) for row in _rows(page)]
        return sorted(nodes, key=lambda node: int(node.metadata.get("start", 0)))

    def articles_by_id(self, article_ids: Collection[str]) -> dict[str, ArticleRecord]:
        """Return these committed articles with their text; ids not stored are left out."""
        wanted = [article_id for article_id in article_ids if article_id != GENERATION_ID]
        if not wanted:
            return {}
        return {
            article_id: _record(article_id, meta, text)
            for article_id, meta, text in self._by_id(self._articles, wanted)
        }

    def chunk_metadata(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return the stored metadata of these chunks (sentence offsets and vectors included)."""
        if not chunk_ids:
            return {}
        rows = self._by_id(self._chunks, list(dict.fromkeys(chunk_ids)))
        return {chunk_id: meta for chunk_id, meta, _ in rows}

    def chunk_count(self) -> int:
        return self._chunks.count()

    def compact(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the chunk collection from the chunks it holds now; return how many.

        Chroma never gives back the vector-index space of a deleted chunk: every replaced or
        removed article leaves its vectors in the index, which grows in memory and on disk (a
        re-ingest after a cleaning change doubles it). The copy keeps every id, vector, metadata
        and text, so the generation and the saved retrieval index stay valid. It is written
        beside the old collection, which is dropped only when the copy is whole (see
        `_open_chunks` for a crash in between). Other processes that have the store open (on a
        Chroma server) must reopen it.
        """
        name = self._chunks.name
        copy_name = name + _COMPACTING
        with contextlib.suppress(Exception):  # the leftover of an interrupted compaction
            self._client.delete_collection(copy_name)
        try:
            copy = self._client.create_collection(copy_name, metadata=self._chunks.metadata)
            total = self._chunks.count()
            done = 0
            while True:
                page = self._chunks.get(
                    limit=WRITE_PAGE,
                    offset=done,
                    include=["embeddings", "metadatas", "documents"],
                )
                if not page["ids"]:
                    break
                copy.add(
                    ids=page["ids"],
                    embeddings=page["embeddings"],
                    metadatas=page["metadatas"],
                    documents=page["documents"],
                )
                done += len(page["ids"])
                if progress:
                    progress(done, total)
            self._client.delete_collection(name)
            copy.modify(name=name)
            self._use_chunks(self._client.get_collection(name))
        except Exception as exc:  # chromadb raises many types
            raise StoreError(f"could not compact the store: {exc}") from exc
        return done

    def _use_chunks(self, collection: Any) -> None:
        self._chunks = collection
        # The same vector store object: retrievers built on it read the new collection.
        self.vector_store._collection = collection

    def is_empty(self) -> bool:
        ids = self._articles.get(limit=2, include=[])["ids"]
        return not [article_id for article_id in ids if article_id != GENERATION_ID]

    def is_new(self) -> bool:
        """Say whether nothing was ever committed here (an emptied store is not new)."""
        return not self._articles.get(limit=1, include=[])["ids"]

    def close(self) -> None:
        """Release the client (embedded stores hold files open)."""

    def _by_id(self, collection: Any, ids: list[str]) -> Iterable[tuple[str, dict[str, Any], str]]:
        """The stored rows among these ids of a collection, with metadata and document (as
        `_rows` gives them), in no particular order."""
        return _rows(collection.get(ids=ids, include=["metadatas", "documents"]))

    def save_vector_graph(self) -> None:
        """Have Chroma save the chunks' vector graph whole (an embedded store; see
        `_vector_graph`). A server keeps one graph for all its clients."""


def _paged_rows(collection: Any, include: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Every row of a collection, read `_PAGE` at a time (see `_rows`).

    Each page's freed memory is given back before the next is read. Chroma reads a row's whole
    metadata, its document included, even when only metadata is asked for, and those freed
    buffers stay in a long-running process, scattered between live objects, until trimmed:
    listing 6.3k article records raised a bot answering at 100k chunks by 30-40 MB and kept it
    there, against ~7 MB with a trim per page (each 10-20 ms).
    """
    offset = 0
    while True:
        page = collection.get(include=include, limit=_PAGE, offset=offset)
        yield from _rows(page)
        if len(page["ids"]) < _PAGE:
            return
        del page
        give_back_freed_memory(collect=False)
        offset += _PAGE


def _rows(page: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
    """The id, metadata and document of each row of a Chroma get (parts not asked for: empty)."""
    ids = page["ids"]
    metadatas = page.get("metadatas") or [None] * len(ids)
    documents = page.get("documents") or [None] * len(ids)
    for row_id, meta, text in zip(ids, metadatas, documents, strict=False):
        yield row_id, dict(meta or {}), text or ""


def _scanned_rows(scan: SqliteScan, include: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
    """A collection's rows read from its file, as `_rows` gives them (ids with at most one of
    documents or metadatas)."""
    if not include:
        return ((row_id, {}, "") for row_id in scan.ids())
    if include == ["documents"]:
        return ((row_id, {}, text) for row_id, text in scan.documents())
    return ((row_id, meta, "") for row_id, meta in scan.metadatas())


def _articles_in(rows: Iterable[tuple[str, dict[str, Any], str]]) -> list[ArticleRecord]:
    """The article records among the rows of an articles collection, oldest first."""
    records = [
        _record(row_id, meta, text) for row_id, meta, text in rows if row_id != GENERATION_ID
    ]
    return sorted(records, key=lambda record: record.ingested_at)


def _committed_texts(
    records: Iterable[ArticleRecord], rows: Iterable[tuple[str, dict[str, Any], str]]
) -> Iterator[tuple[str, ArticleRecord, str]]:
    """The id, article and text of each chunk row of a committed version of these articles."""
    by_version = {_version_of(record.id, record.content_hash): record for record in records}
    for row_id, _, text in rows:
        record = by_version.get(_version_in(row_id) or "")
        if record is not None:
            yield row_id, record, text


def _record(article_id: str, meta: Any, text: str | None) -> ArticleRecord:
    return ArticleRecord.model_validate({**dict(meta or {}), "id": article_id, "text": text or ""})


def slim_node(chunk_id: str, meta: dict[str, Any], text: str) -> TextNode:
    """A node from a chunk row with only what retrieval and answering read.

    That is the text, the metadata (without the packed sentence vectors: `_node_with_vectors`
    adds them back where they are wanted) and the embed/LLM metadata rules; not the relationships
    llama-index stores (a copy of the article's metadata and hash per chunk). `get_content` and
    `hash` come out as for the stored node.
    """
    try:
        stored = json.loads(meta["_node_content"])
    except (KeyError, TypeError, ValueError):  # rows written by something other than llama-index
        stored = {"metadata": {k: v for k, v in meta.items() if k[0] != "_"}}
    metadata = {
        key: value
        for key, value in (stored.get("metadata") or {}).items()
        if key != VECTORS_KEY  # stores written before ChunkVectorStore have them here too
    }
    fields = {
        name: list(stored[name])
        for name in ("excluded_embed_metadata_keys", "excluded_llm_metadata_keys")
        if name in stored
    }
    for name in ("start_char_idx", "end_char_idx", "metadata_template", "metadata_separator"):
        if stored.get(name) is not None:
            fields[name] = stored[name]
    if stored.get("text_template"):
        fields["text_template"] = stored["text_template"]
    return TextNode(id_=chunk_id, text=text, metadata=metadata, **fields)


def _node_with_vectors(chunk_id: str, meta: dict[str, Any], text: str) -> TextNode:
    node = slim_node(chunk_id, meta, text)
    if VECTORS_KEY in meta:
        node.metadata[VECTORS_KEY] = meta[VECTORS_KEY]
    return node


def _node_from_row(chunk_id: str, meta: dict[str, Any], text: str) -> TextNode:
    try:
        node = metadata_dict_to_node(meta, text=text)
    except Exception:  # rows written by something other than llama-index
        node = TextNode(text=text, metadata={k: v for k, v in meta.items() if k[0] != "_"})
    node.id_ = chunk_id
    return node  # type: ignore[return-value]


_COMPACTING = "_compacting"


def _open_chunks(client: ClientAPI, name: str, embed_model_name: str) -> Any:
    """Open (or create) the chunk collection.

    A compaction drops the old collection only once its copy is whole, then renames the copy: if
    it stopped in between, the copy is the store's chunks.
    """
    names = {collection.name for collection in client.list_collections()}
    if name not in names and name + _COMPACTING in names:
        client.get_collection(name + _COMPACTING).modify(name=name)
    return client.get_or_create_collection(
        name, metadata={"hnsw:space": "cosine", "embed_model": embed_model_name}
    )


def chunks_collection_name(prefix: str) -> str:
    """The name of the chunks' collection of a store whose collections are named `prefix`."""
    return f"{prefix}_chunks"


def chroma_settings() -> ChromaSettings:
    """How citedesk opens Chroma: no telemetry, no reset."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


_SQLITE_MAGIC = b"SQLite format 3\x00"
_DATABASE = "chroma.sqlite3"
# Files the store folder may hold before Chroma has written anything.
_OURS = {"citedesk.lock"}


def _damage(path: Path) -> str | None:
    """Say what is wrong with an existing store folder before Chroma touches it, if anything.

    SQLite happily treats a 0-byte file as a new database, and Chroma would then build an empty
    store over it; a folder with index files but no database has lost its database.
    """
    database = path / _DATABASE
    try:
        if database.exists():
            with database.open("rb") as handle:
                head = handle.read(len(_SQLITE_MAGIC))
            if head != _SQLITE_MAGIC:
                size = database.stat().st_size
                return f"{_DATABASE} is not a SQLite database ({size} bytes)"
            return None
        others = [child.name for child in path.iterdir() if child.name not in _OURS]
    except OSError as exc:
        return f"cannot read it ({exc})"
    return f"{_DATABASE} is missing beside {', '.join(sorted(others)[:3])}" if others else None


def _damaged(path: Path, what: object) -> StoreError:
    return StoreError(
        f"the store at {path} is damaged or unreadable: {what}. Nothing in it was changed; "
        "restore it from a backup, or move it away to start a new store"
    )


# The last committed generation of each embedded store this process holds (folder, collection).
_GENERATIONS: dict[tuple[Path, str], str] = {}


def _reclaim_disk(folder: Path) -> None:
    """Delete the vector-index folders of dropped collections, then shrink the database.

    Chroma 1.x drops a collection's rows but leaves its HNSW folder on disk
    (chroma-core/chroma#5259), and SQLite keeps freed pages in the file until a VACUUM. A folder
    is removed only if it is named like a segment, holds HNSW files, and no segment has its id.
    """
    database = folder / _DATABASE
    with contextlib.closing(sqlite3.connect(database, timeout=60)) as connection:
        live = {str(row[0]) for row in connection.execute("SELECT id FROM segments")}
        for child in folder.iterdir():
            with contextlib.suppress(ValueError):
                if (
                    child.is_dir()
                    and str(uuid.UUID(child.name)) == child.name
                    and child.name not in live
                    and (child / "header.bin").exists()
                ):
                    shutil.rmtree(child)
        connection.execute("VACUUM")


@dataclass(frozen=True)
class StoreFile:
    """An embedded store's committed articles and chunk texts, read from its SQLite file alone.

    It pickles, for a child process. The retrieval index build's child reads the chunks itself;
    fed by the bot, the bot read and pickled every chunk's text while it answered beside it (at
    102k chunks, with this and the embedding child's rows, a bot's replies during an in-bot
    ingest went from 1.74x to 1.40x idle; a probe's peak while the index was built, 585 -> 579 MB).
    """

    database: Path
    articles_collection: str
    chunks_collection: str
    # How long to wait for Chroma to apply a write it has logged. The parent checked the file
    # (`EmbeddedStore.file`), but a write can land before the child reads: the bot starts the
    # build when a question sees a new generation, while its ingest still saves Chroma's vector
    # graph (a child process's write; its log entry is applied a moment later). Refused, the
    # build fell back to the bot's own process: 941 MB instead of ~555 MB after a 300-article ingest.
    settle_seconds: float = 30.0

    def articles(self) -> list[ArticleRecord]:
        """Every committed article, oldest first (as `ArticleStore.articles` without text)."""
        return _articles_in(_scanned_rows(self._scan(self.articles_collection), ["metadatas"]))

    def committed_chunk_texts(
        self, records: Iterable[ArticleRecord]
    ) -> Iterator[tuple[str, ArticleRecord, str]]:
        """As `ArticleStore.committed_chunk_texts`."""
        rows = _scanned_rows(self._scan(self.chunks_collection), ["documents"])
        return _committed_texts(records, rows)

    def _scan(self, collection: str) -> SqliteScan:
        deadline = time.monotonic() + self.settle_seconds
        while (scan := SqliteScan.open(self.database, collection)) is None:
            if time.monotonic() >= deadline:
                raise StoreError(f"{self.database} cannot be read without Chroma now")
            time.sleep(_SETTLE_POLL_SECONDS)
        return scan


class EmbeddedStore(ArticleStore):
    """A store in a folder on this machine (one writing process at a time)."""

    kind = "embedded"

    def fingerprint(self) -> str:
        # This process holds the folder's lock, so only it commits: the generation it last read
        # or wrote is current, and every question saves a Chroma read (several ms). Kept per
        # folder and collection, so that two store objects on one folder agree.
        key = (self._folder, self._prefix)
        if key not in _GENERATIONS:
            _GENERATIONS[key] = super().fingerprint()
        return _GENERATIONS[key]

    def _committed(self, generation: str) -> None:
        _GENERATIONS[(self._folder, self._prefix)] = generation

    def _scan(self, collection: Any) -> SqliteScan | None:
        # Every chunk's text at 102k chunks (`committed_chunk_texts`): through Chroma 88 s and
        # +207 MB, from its file 11.6 s and +7 MB (see _sqlite_scan). Checked at each read:
        # Chroma may have written since.
        return SqliteScan.open(self._database, collection.name)

    def file(self) -> StoreFile | None:
        names = (self._articles.name, self._chunks.name)
        if any(SqliteScan.open(self._database, name) is None for name in names):
            return None
        return StoreFile(self._database, *names)

    def __init__(self, settings: Settings) -> None:
        path = settings.store.chroma_dir
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {path}: {exc}") from exc
        hold_store_lock(path)
        damage = _damage(path)
        if damage:
            raise _damaged(path, damage)
        self._folder = path.resolve()
        self._database = self._folder / _DATABASE
        self._file_rows = SqliteRows(self._database)
        self._prefix = settings.store.collection
        # Before Chroma is opened here (see _vector_graph): every process then searches one graph.
        save_vector_graph(self._database, chunks_collection_name(self._prefix))
        super().__init__(self._open_client(), self._prefix, settings.retrieval.embed_model)
        self.index_folder = settings.store.data_dir / "index" / settings.store.collection

    def save_vector_graph(self) -> None:
        save_vector_graph(self._database, self._chunks.name)

    def reopen(self) -> None:
        """Open Chroma again: a child that held this process's lock wrote to the folder.

        Chroma keeps one System per folder for the life of a process (its Rust binding, with
        the vector graph in memory, which does not see another process's writes) and hands it
        to every new client on that folder. It is forgotten here, and freed with the old
        collections before the new client loads the graph again (~230 MB at 102k chunks, 0.4 s
        at its first search). A call in flight keeps the old one until it returns.
        """
        identifier = getattr(self._client, "_identifier", None)
        SharedSystemClient._identifier_to_system.pop(identifier or "", None)
        SharedSystemClient._identifier_to_refcount.pop(identifier or "", None)
        del self._client, self._chunks, self._articles, self.vector_store
        give_back_freed_memory()
        _GENERATIONS.pop((self._folder, self._prefix), None)  # the child committed
        self._attach(self._open_client(), self._prefix, self.embed_model_name)

    def _open_client(self) -> ClientAPI:
        try:
            return chromadb.PersistentClient(path=str(self._folder), settings=chroma_settings())
        except Exception as exc:
            raise _damaged(self._folder, exc) from exc

    def _by_id(self, collection: Any, ids: list[str]) -> Iterable[tuple[str, dict[str, Any], str]]:
        # A question's chunks and articles, from the file: Chroma's own read by id is most of
        # a question's time at 102k chunks (see SqliteRows). Chroma's when the file cannot say.
        rows = self._file_rows.by_id(collection.name, ids)
        return rows if rows is not None else super()._by_id(collection, ids)

    def close(self) -> None:
        self._file_rows.close()

    def compact(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Compact as any store, then give the disk space back (see `_reclaim_disk`)."""
        chunks = super().compact(progress)
        _reclaim_disk(self._folder)
        return chunks


class ServerStore(ArticleStore):
    """A store on a Chroma server (`chroma run`), shared by the bot and ingest jobs."""

    kind = "server"
    index_grace_seconds = 10.0

    def __init__(self, settings: Settings) -> None:
        url = urlparse(settings.store.chroma_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise StoreError(
                f"CHROMA_URL must look like http://host:port, not {settings.store.chroma_url!r}"
            )
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings(),
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {settings.store.chroma_url}: {exc}"
            ) from exc
        super().__init__(client, settings.store.collection, settings.retrieval.embed_model)
        # Each process keeps its own copy of the index, under its own data folder; two servers
        # with the same collection name must not share one.
        server = hashlib.sha1(settings.store.chroma_url.encode()).hexdigest()[:8]
        self.index_folder = (
            settings.store.data_dir / "index" / f"{settings.store.collection}-{server}"
        )


def open_store(settings: Settings) -> ArticleStore:
    """Open the store the settings name: a Chroma server if CHROMA_URL is set, else embedded."""
    return ServerStore(settings) if settings.store.chroma_url else EmbeddedStore(settings)
