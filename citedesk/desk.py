"""The Desk: the one object every front end (CLI, bot, someone's llama-index code) talks to.

It owns the article store, the embedding model, retrieval and answering, and it is the only place
where those parts are assembled. Front ends call its methods and read the answer and citation
models; they never reach into the store or the engine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from citedesk.answering import Answer, AnswerEngine, Citation, Turn
from citedesk.answering.evaluation import EvalReport, evaluate, load_items
from citedesk.errors import BadInputError, StoreError
from citedesk.ingest import (
    SOURCES,
    UPLOAD,
    IngestReport,
    ingest_in_child_process,
    ingest_sources,
    ingest_upload,
)
from citedesk.ingest.pipeline import Progress
from citedesk.paths import SAMPLE_CORPUS
from citedesk.settings import Settings, get_settings
from citedesk.vectorstore import ArticleRecord, ArticleStore, open_store, prepare_index

if TYPE_CHECKING:
    from llama_index.core.base.base_query_engine import BaseQueryEngine
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.retrievers import BaseRetriever

log = logging.getLogger(__name__)

# How long a write waits for a moment when no question is being answered before it goes ahead
# beside them (under a steady stream of questions an ingest still moves).
WRITE_WAIT_SECONDS = 2.0

__all__ = ["Answer", "ArticleRecord", "Citation", "Desk", "EvalReport", "IngestReport", "Turn"]


class Desk:
    """Articles in, cited answers out.

    Thread-safe: questions may be answered while an ingest runs in another thread (each article
    is committed atomically, and the retriever picks commits up); ingests run one at a time.
    """

    def __init__(self, settings: Settings, store: ArticleStore) -> None:
        self.settings = settings
        self._store = store
        self._engine: AnswerEngine | None = None
        # Writers (ingest, remove) take turns; readers never wait for them.
        self._write_lock = threading.RLock()
        self._engine_lock = threading.Lock()
        # Ingest in a child process: set by a bot, which answers while it ingests. On an embedded
        # store the whole ingest runs there (ingest/_ingest_process.py), on a server the chunking
        # and embedding (ingest/_embedder.py); a command that only ingests is faster without.
        self.ingest_in_child = False

    @classmethod
    def open(cls, settings: Settings | None = None, *, seed_sample: bool = False) -> Desk:
        """Open the store the settings name (None: the environment and `.env`).

        With `seed_sample`, a store that is genuinely new gets the bundled sample articles.
        """
        settings = settings or get_settings()
        desk = cls(settings, open_store(settings))
        if seed_sample and desk.is_new():
            desk.seed_sample()
        return desk

    # --- what is stored --------------------------------------------------------------------
    @property
    def store_kind(self) -> str:
        """'embedded' or 'server', for status lines."""
        return self._store.kind

    def is_empty(self) -> bool:
        return self._store.is_empty()

    def is_new(self) -> bool:
        """Nothing was ever stored here: the one kind of store the sample corpus may go into."""
        return self._store.is_new()

    def sources(self, *, with_text: bool = False) -> list[ArticleRecord]:
        """The stored articles, oldest first."""
        return self._store.articles(with_text=with_text)

    def chunk_count(self) -> int:
        return self._store.chunk_count()

    # --- changing what is stored -----------------------------------------------------------
    def seed_sample(self) -> IngestReport:
        """Ingest the bundled sample articles."""
        log.info("ingesting the sample corpus from %s", SAMPLE_CORPUS)
        return self.ingest([str(SAMPLE_CORPUS)])

    def ingest(
        self,
        sources: Iterable[str],
        *,
        prune: bool = False,
        feed_lists: Iterable[Path] = (),
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest files, folders, article URLs and feeds (paths or URLs as strings).

        Articles are committed one by one, but answering sees them all at once when the ingest
        ends: the retriever then rebuilds once, here, instead of inside some question each time
        an article lands (a rebuild covers every chunk in the store).
        """
        with self._write_lock:
            if self._ingests_in_child_process:
                return self._in_child_process(
                    SOURCES, sources=list(sources), prune=prune, feed_lists=list(feed_lists)
                )
            with self._store.one_publication():
                report = ingest_sources(
                    list(sources),
                    self.settings,
                    self._store,
                    prune=prune,
                    feed_lists=feed_lists,
                    progress=progress,
                    in_child=self.ingest_in_child,
                )
            self._refresh()
            return report

    def ingest_upload(self, data: bytes, name: str, article_id: str) -> IngestReport:
        """Ingest one article received as bytes (a file sent to the bot)."""
        with self._write_lock:
            if self._ingests_in_child_process:
                return self._in_child_process(UPLOAD, data=data, name=name, article_id=article_id)
            report = ingest_upload(
                data, name, article_id, self.settings, self._store, in_child=self.ingest_in_child
            )
            self._refresh()
            return report

    def remove(self, ids_or_sources: Iterable[str]) -> list[str]:
        """Delete articles (by id or source) and all their chunks; return the ids removed.

        Raises BadInputError naming whatever matched no stored article; nothing is removed then.
        """
        wanted = [item.strip() for item in ids_or_sources if item.strip()]
        if not wanted:
            raise BadInputError("name the articles to remove by id or source (see `sources`)")
        with self._write_lock:
            records = self._store.articles()
            found: dict[str, str] = {}
            missing = []
            for item in wanted:
                match = next(
                    (r for r in records if item in (r.id, r.source, Path(r.source).name)), None
                )
                if match is None:
                    missing.append(item)
                else:
                    found[match.id] = item
            if missing:
                raise BadInputError("no stored article has the id or source " + ", ".join(missing))
            self._store.delete_articles(list(found))
            self._refresh()
            return list(found)

    def compact(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the store's vector index without the space of removed and replaced chunks;
        return how many chunks it holds. Answers stay the same (see `ArticleStore.compact`)."""
        with self._write_lock:
            return self._store.compact(progress)

    # --- answering -------------------------------------------------------------------------
    def ask(
        self, question: str, history: Sequence[Turn] = (), *, today: date | None = None
    ) -> Answer:
        """Answer a question (and its conversation so far) with cited quotes, or abstain.

        `today` is the day it is asked, for "yesterday" or "on Tuesday" (default: today).
        """
        return self.engine.ask(question, history, today=today)

    def passage(self, citation: Citation, sentences: int = 2) -> str | None:
        """The cited quote with the sentences around it; None if the article is gone."""
        return self.engine.wider_passage(
            citation.article_id, citation.start, citation.end, sentences
        )

    def check_question(self, question: str) -> str:
        """Return the question tidied, or raise BadInputError saying what is wrong."""
        return self.engine.check_question(question)

    def evaluate(self, path: Path) -> EvalReport:
        """Score answers on an evaluation set (JSONL): hit rate, MRR, abstain accuracy."""
        return evaluate(self, load_items(path))

    # --- llama-index parts ----------------------------------------------------------------
    def as_retriever(self) -> BaseRetriever:
        """The hybrid (dense + BM25) retriever over the stored chunks: a llama-index retriever."""
        return self.engine.retriever

    def as_query_engine(self) -> BaseQueryEngine:
        """A llama-index query engine: cited answer text, verified quotes as source_nodes."""
        from citedesk.answering.llamaindex import CitedQueryEngine

        return CitedQueryEngine(self.engine)

    def as_node_postprocessor(self, top_n: int | None = None) -> BaseNodePostprocessor:
        """The quote selection on its own: chunks in, the sentences that answer out."""
        from citedesk.answering.llamaindex import VerifiedQuotes

        retriever = self.engine.retriever
        retriever.refresh()
        return VerifiedQuotes(
            embed_model=self.engine.embed_model,
            vocabulary=retriever.vocabulary,
            top_n=top_n or self.settings.retrieval.top_k,
            # Unset, the postprocessor decides as the engine does (the question-level model).
            threshold=self.settings.retrieval.min_relevance or None,
        )

    # --- plumbing --------------------------------------------------------------------------
    @property
    def engine(self) -> AnswerEngine:
        """The answering engine, built on first use (it loads the embedding model)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = AnswerEngine(self.settings, self._store)
                # This process answers now: its ingests write between questions.
                retriever = self._engine.retriever
                self._store.write_turn = lambda: retriever.between_questions(WRITE_WAIT_SECONDS)
            return self._engine

    @property
    def _ingests_in_child_process(self) -> bool:
        """Whether an ingest runs whole in a child: a bot's, on an embedded store (a server
        store's writes leave this process anyway; see ingest/_ingest_process.py)."""
        return self.ingest_in_child and self._store.kind == "embedded"

    def _in_child_process(self, kind: str, **arguments: object) -> IngestReport:
        """Ingest in a child process, then see what it wrote (at a moment between questions:
        Chroma's graph is loaded again, the old one dropped first, 0.3-0.5 s at 102k chunks).

        A feed poll that found nothing new changed nothing: this process goes on as it was. A
        child that failed is one error in the report (as a failed article is): it may have
        committed some articles first, so this process looks again all the same."""
        report: IngestReport | None = None
        try:
            report = ingest_in_child_process(self.settings, kind, **arguments)
            return report
        except StoreError as exc:
            return IngestReport(errors=[str(exc)])
        finally:
            if report is None or report.added or report.updated or report.removed:
                with self._store.write_turn():
                    self._store.reopen()
                if self._engine is not None:
                    self._engine.retriever.refresh(wait=True)

    def _refresh(self) -> None:
        """Bring retrieval up to date with what was just written.

        Without an engine (a CLI ingest), the retrieval index is still built and saved now, so
        that the next process to answer loads it instead of building it inside its first question.
        Chroma's vector graph is saved whole for the same reason (see `_vector_graph`).
        """
        self._store.save_vector_graph()
        if self._engine is not None:
            self._engine.retriever.refresh(wait=True)
        else:
            prepare_index(self._store)

    def close(self) -> None:
        with self._write_lock:
            self._store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
