"""Ingest articles: skip unchanged ones, replace changed ones, prune removed ones on request."""

from __future__ import annotations

import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from llama_index.core import Document

from citedesk.errors import BadInputError, CitedeskError
from citedesk.ingest._embedder import ChildProcessEmbedder, Embedder, InProcessEmbedder
from citedesk.ingest._load import (
    LoadedArticle,
    build_article,
    content_hash,
    decode_article,
    find_article_files,
    load_file,
)
from citedesk.ingest.feeds import feed_entries, looks_like_feed, read_feed_list
from citedesk.ingest.fetch import FetchedPage, fetch
from citedesk.settings import Settings
from citedesk.sources import SUPPORTED_SUFFIXES, is_url
from citedesk.vectorstore.memory import give_back_freed_memory
from citedesk.vectorstore.rows import ChunkRows
from citedesk.vectorstore.store import ArticleRecord, ArticleStore


@dataclass
class IngestReport:
    """What one ingest run did; `as_dict` is the CLI's --json shape."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    errors: list[str] = field(default_factory=list)
    titles_added: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks": self.chunks,
            "errors": list(self.errors),
        }


T = TypeVar("T")
# Articles embedded in one call at most (see the embedder's `batch_chars` for how much text).
_BATCH_SOURCES = 256
# Articles committed together (16, or fewer long ones up to this many chunks): each Chroma
# write costs 50 ms or more whatever its size (a SQLite transaction), which at 8 articles per
# commit was a quarter of a 500-article ingest; progress (and a Ctrl-C) still lands every second.
_COMMIT_CHUNKS = 512
_COMMIT_ARTICLES = 16
# Sources loaded ahead of the one being embedded.
_LOAD_AHEAD = 8
# Called with (description of the item just finished, items done, items in all).
Progress = Callable[[str, int, int], None]


class Ingester:
    """Writes articles into one store with one embedding model.

    Many articles are embedded together (one length-sorted model pass over all their sentences
    fills the batches) and written together (`ArticleStore.write_articles`: a few Chroma calls
    per batch); each article is still all-or-nothing for readers.
    """

    def __init__(self, settings: Settings, store: ArticleStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._known = {record.id: record.content_hash for record in store.articles()}

    def add(self, article: LoadedArticle, report: IngestReport) -> None:
        """Write one article unless the store already has this exact version."""
        self._add_batch([article], report)

    def _is_unchanged(self, article: LoadedArticle) -> bool:
        return self._known.get(article.id) == article.content_hash

    def _add_batch(
        self,
        articles: Sequence[LoadedArticle | None],
        report: IngestReport,
        done: Callable[[int], None] = lambda index: None,
    ) -> None:
        """Embed the new or changed articles together, then commit them a few at a time.

        `done(i)` follows the outcome of `articles[i]` (None: a source that failed to load).
        """
        # The chunk size is part of an article's version: a changed setting re-chunks it.
        articles = [
            a.chunked_at(self._settings.retrieval.chunk_chars) if a else None for a in articles
        ]
        fresh = [a for a in articles if a is not None and not self._is_unchanged(a)]
        try:
            rows = self._embedder([_document(a) for a in fresh]) if fresh else ChunkRows.joined(())
        except CitedeskError as exc:
            # The batch is lost, not the run: each of its new articles is one error line.
            for index, article in enumerate(articles):
                if article is not None and self._is_unchanged(article):
                    report.unchanged += 1
                elif article is not None:
                    report.errors.append(f"{article.source}: {exc}")
                done(index)
            return
        parts = rows.by_article()
        by_article = {article.id: parts.get(article.id, rows.slice(0, 0)) for article in fresh}
        pending: list[int] = []  # indices whose outcome waits for the group's commit

        def commit() -> None:
            group = [articles[i] for i in pending if articles[i] is not None]
            failed = self._write([a for a in group if a is not None], by_article)
            for i in pending:
                article = articles[i]
                if article is None:
                    pass
                elif article.id not in by_article:
                    report.unchanged += 1
                elif article.id in failed:
                    report.errors.append(failed[article.id])
                else:
                    self._written(article, len(by_article[article.id]), report)
                done(i)
            pending.clear()

        group_articles = group_chunks = 0
        for index, article in enumerate(articles):
            pending.append(index)
            if article is not None and article.id in by_article:
                group_articles += 1
                group_chunks += len(by_article[article.id])
                if group_chunks >= _COMMIT_CHUNKS or group_articles >= _COMMIT_ARTICLES:
                    commit()
                    group_articles = group_chunks = 0
        commit()
        give_back_freed_memory(collect=False)  # this pass's texts, rows and vectors

    def _write(
        self, articles: Sequence[LoadedArticle], by_article: dict[str, ChunkRows]
    ) -> dict[str, str]:
        """Commit the fresh ones of these articles together; return the failures by id."""
        writes = [(a, by_article[a.id]) for a in articles if a.id in by_article]
        if not writes:
            return {}
        try:
            self._store.write_articles(
                [(_record(article), nodes) for article, nodes in writes],
                new_ids={article.id for article, _ in writes if article.id not in self._known},
            )
            return {}
        except CitedeskError:
            # One bad article must not cost the others: write them one by one to find it.
            failed: dict[str, str] = {}
            for article, rows in writes:
                try:
                    self._store.write_article(_record(article), rows)
                except CitedeskError as exc:
                    failed[article.id] = str(exc)
            return failed

    def _written(self, article: LoadedArticle, chunks: int, report: IngestReport) -> None:
        previous = self._known.get(article.id)
        self._known[article.id] = article.content_hash
        report.chunks += chunks
        if previous is None:
            report.added += 1
            report.titles_added.append(article.title)
        else:
            report.updated += 1

    def add_each(
        self,
        sources: Sequence[T],
        load: Callable[[T], LoadedArticle],
        report: IngestReport,
        progress: Progress | None = None,
    ) -> None:
        """Load and add each source; a failure is one error line and the rest go on.

        Loading runs a few sources ahead in a second thread (cleaning and fetching overlap the
        model, which releases the GIL); `progress` reports each source in order, once it and
        every source before it are committed or failed.
        """
        batch: list[LoadedArticle | None] = []  # None: a source that failed to load
        names: list[str] = []
        batch_chars = 0
        finished = 0

        def reported(index: int) -> None:
            nonlocal finished
            finished += 1
            if progress:
                progress(names[index], finished, len(sources))

        def flush() -> None:
            nonlocal batch, names, batch_chars
            self._add_batch(batch, report, reported)
            batch, names, batch_chars = [], [], 0

        for source, loaded in zip(sources, _load_ahead(sources, load), strict=True):
            if isinstance(loaded, CitedeskError):
                report.errors.append(str(loaded))
                batch.append(None)
            else:
                if any(article is not None and article.id == loaded.id for article in batch):
                    flush()  # the same article twice: the later version must win
                batch.append(loaded)
                batch_chars += len(loaded.text)
            names.append(str(getattr(source, "name", source)))
            if batch_chars >= self._embedder.batch_chars or len(batch) >= _BATCH_SOURCES:
                flush()
        flush()

    def prune(self, folders: Iterable[Path], seen: set[str], report: IngestReport) -> None:
        """Remove articles stored from these folders whose files were not seen in this run."""
        roots = [folder.resolve() for folder in folders]
        for article_id in list(self._known):
            path = Path(article_id)
            if article_id in seen or not path.is_absolute():
                continue
            if any(path.is_relative_to(root) for root in roots) and not path.exists():
                self._store.delete_article(article_id)
                del self._known[article_id]
                report.removed += 1


def _record(article: LoadedArticle) -> ArticleRecord:
    return ArticleRecord(
        id=article.id,
        source=article.source,
        title=article.title,
        outlet=article.outlet,
        published=article.published,
        content_hash=article.content_hash,
        text=article.text,
    )


def _document(article: LoadedArticle) -> Document:
    metadata = {
        "article_id": article.id,
        "content_hash": article.content_hash,
        "title": article.title,
        "source": article.source,
        **({"outlet": article.outlet} if article.outlet else {}),
        **({"published": article.published} if article.published else {}),
    }
    return Document(id_=article.id, text=article.text, metadata=metadata)


def _load_ahead(
    sources: Sequence[T], load: Callable[[T], LoadedArticle]
) -> Iterator[LoadedArticle | CitedeskError]:
    """Yield each source's article (or its error) in order, loading a few ahead in a thread."""

    def attempt(source: T) -> LoadedArticle | CitedeskError:
        try:
            return load(source)
        except CitedeskError as exc:
            return exc

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citedesk-load")
    try:
        waiting: deque[Future[LoadedArticle | CitedeskError]] = deque()
        upcoming = iter(sources)
        for source in itertools.islice(upcoming, _LOAD_AHEAD):
            waiting.append(pool.submit(attempt, source))
        while waiting:
            result = waiting.popleft().result()
            for source in itertools.islice(upcoming, 1):
                waiting.append(pool.submit(attempt, source))
            yield result
    finally:
        # Ctrl-C or an error: loads not yet started are dropped, not waited for.
        pool.shutdown(wait=False, cancel_futures=True)


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    store: ArticleStore,
    *,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files and folders; each bad file is an error in the report, the rest go in."""
    return ingest_sources(
        [str(path) for path in paths], settings, store, prune=prune, progress=progress
    )


def _ingest_files(
    paths: Sequence[Path],
    ingester: Ingester,
    settings: Settings,
    report: IngestReport,
    *,
    prune: bool,
    progress: Progress | None,
) -> None:
    files: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        try:
            files.extend(find_article_files(path))
            if path.is_dir():
                folders.append(path)
        except CitedeskError as exc:
            report.errors.append(str(exc))
    seen: set[str] = set()

    def load(file: Path) -> LoadedArticle:
        article = load_file(file, settings.fetching.max_article_bytes)
        seen.add(article.id)
        return article

    ingester.add_each(files, load, report, progress)
    if prune:
        ingester.prune(folders, seen, report)


def article_from_page(page: FetchedPage, where: str) -> LoadedArticle:
    """Clean a fetched page; its id is the page's canonical URL when it names one."""
    article = build_article(
        page.text,
        article_id=page.url,
        source=page.url,
        is_html=page.content_type not in ("text/plain", "text/markdown"),
        where=where,
    )
    canonical = article.canonical_url
    if canonical and is_url(canonical):
        article = article.with_id(canonical)
    return article


def load_url(url: str, settings: Settings) -> LoadedArticle:
    return article_from_page(fetch(url, settings), url)


def _ingest_url(
    url: str,
    settings: Settings,
    ingester: Ingester,
    report: IngestReport,
    progress: Progress | None,
) -> None:
    """Ingest an article URL, or every article a feed URL lists."""
    try:
        page = fetch(url, settings)
        if not looks_like_feed(page):
            ingester.add(article_from_page(page, url), report)
            return
        entries = feed_entries(page, settings.fetching.max_feed_entries)
    except CitedeskError as exc:
        report.errors.append(str(exc))
        return
    ingester.add_each(
        list(entries),
        lambda entry: dated(load_url(entry, settings), entries[entry]),
        report,
        progress,
    )


def dated(article: LoadedArticle, day: str | None) -> LoadedArticle:
    """The article with the feed entry's day when the page itself shows no date."""
    if article.published or not day:
        return article
    # The date is part of what is stored, so it is part of the content hash too.
    return replace(article, published=day, content_hash=content_hash(article.content_hash, day))


def ingest_sources(
    sources: Iterable[str],
    settings: Settings,
    store: ArticleStore,
    *,
    prune: bool = False,
    feed_lists: Iterable[Path] = (),
    progress: Progress | None = None,
    in_child: bool = False,
) -> IngestReport:
    """Ingest files, folders, article URLs and feeds; each failure is one line in `errors`.

    `in_child`: chunk and embed in a child process (a bot, which answers while it ingests)."""
    sources = list(sources)
    urls = [source for source in sources if is_url(source)]
    paths = [Path(source) for source in sources if not is_url(source)]
    report = IngestReport()
    store.collect_garbage()
    with _embedder(settings, store, in_child) as embedder:
        ingester = Ingester(settings, store, embedder)
        _ingest_files(paths, ingester, settings, report, prune=prune, progress=progress)
        for feed_list in feed_lists:
            try:
                urls.extend(read_feed_list(feed_list))
            except CitedeskError as exc:
                report.errors.append(str(exc))
        for done, url in enumerate(urls, start=1):
            _ingest_url(url, settings, ingester, report, progress)
            if progress:
                progress(url, done, len(urls))
    return report


@contextlib.contextmanager
def _embedder(settings: Settings, store: ArticleStore, in_child: bool) -> Iterator[Embedder]:
    """The chunking and embedding for one ingest, in a child process if `in_child`."""
    kind = ChildProcessEmbedder if in_child else InProcessEmbedder
    embedder = kind(store.embed_model_name, settings.retrieval.chunk_chars)
    try:
        yield embedder
    finally:
        embedder.close()


def ingest_upload(
    data: bytes,
    name: str,
    article_id: str,
    settings: Settings,
    store: ArticleStore,
    *,
    in_child: bool = False,
) -> IngestReport:
    """Ingest one article received as bytes (e.g. a file sent to the bot); errors go in the report."""
    report = IngestReport()
    suffix = Path(name).suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise BadInputError(f"{name}: send a .txt, .md or .html file")
        if len(data) > settings.fetching.max_article_bytes:
            raise BadInputError(f"{name}: larger than {settings.fetching.max_article_bytes} bytes")
        article = build_article(
            decode_article(data, name),
            article_id=article_id,
            source=name,
            is_html=SUPPORTED_SUFFIXES[suffix] == "html",
            where=name,
        )
        with _embedder(settings, store, in_child) as embedder:
            Ingester(settings, store, embedder).add(article, report)
    except CitedeskError as exc:
        report.errors.append(str(exc))
    return report
