"""Read article files into clean text and metadata; one clear error per bad file."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from citedesk.errors import BadInputError
from citedesk.ingest._clean import clean_article
from citedesk.ingest._dates import published_date
from citedesk.sources import SUPPORTED_SUFFIXES

# Cleaning's version, as reports show it (benchmarks/cleaning_check.py). It is not part of the
# content hash: the hash covers the cleaned title, text, outlet and date themselves, so a cleaning
# change replaces just the articles whose cleaned text it changes.
CLEANING_VERSION = "clean-7"
# Part of every content hash: a change to sentence splitting or chunking changes the chunks of an
# article whose text is the same, so it must re-ingest every article. (The value still names the
# cleaning version it began with: a new string would re-embed every store for no change.)
_CHUNKING_VERSION = "clean-5/chunk-5"


@dataclass(frozen=True)
class LoadedArticle:
    """A cleaned article ready to chunk."""

    id: str
    source: str
    title: str
    text: str
    outlet: str | None
    published: str | None
    content_hash: str
    canonical_url: str | None = None

    def with_id(self, article_id: str) -> LoadedArticle:
        return replace(self, id=article_id, source=article_id)

    def chunked_at(self, chunk_chars: int) -> LoadedArticle:
        """This article with the chunking settings in its hash: a new setting re-chunks it."""
        return replace(self, content_hash=content_hash(self.content_hash, f"chunk={chunk_chars}"))


def content_hash(*parts: str | None) -> str:
    digest = hashlib.sha256(_CHUNKING_VERSION.encode())
    for part in parts:
        digest.update(b"\0" + (part or "").encode())
    return digest.hexdigest()


def find_article_files(path: Path) -> list[Path]:
    """Return the supported files under a path; a file is checked for its extension.

    Anything that is not a folder counts as a file here (FIFOs and devices too), so that
    reading it says what is wrong with it instead of skipping it without a word.
    """
    if not path.exists():
        raise BadInputError(f"{path}: no such file or folder")
    if not path.is_dir():
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise BadInputError(
                f"{path}: unsupported file type {path.suffix or '(none)'!r}; use {supported}"
            )
        return [path]
    return sorted(
        child
        for child in path.rglob("*")
        if not child.is_dir()
        and child.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in child.relative_to(path).parts)
    )


def decode_article(data: bytes, where: str) -> str:
    if not data.strip():
        raise BadInputError(f"{where}: the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{where}: not UTF-8 text (byte {exc.start})") from exc


def build_article(
    raw: str,
    *,
    article_id: str,
    source: str,
    is_html: bool,
    where: str,
    title_hint: str | None = None,
    outlet_hint: str | None = None,
    published_hint: str | None = None,
) -> LoadedArticle:
    """Clean raw text or HTML into an article, or say why there is none."""
    if is_html:
        # Imported on first use: a bot that only answers never loads the extraction stack
        # (trafilatura, lxml, htmldate, courlan: ~10 MB and 50 ms).
        import trafilatura

        extracted = trafilatura.bare_extraction(
            raw, with_metadata=True, include_comments=False, as_dict=True
        )
        if not isinstance(extracted, dict) or not extracted.get("text"):
            raise BadInputError(f"{where}: no article text found in the HTML")
        title_hint = title_hint or extracted.get("title")
        outlet_hint = outlet_hint or extracted.get("sitename")
        published_hint = published_hint or extracted.get("date")
        canonical = extracted.get("url")
        raw = str(extracted["text"])
    else:
        canonical = None
    cleaned = clean_article(raw, title_hint=title_hint)
    if not cleaned.text:
        raise BadInputError(f"{where}: no article text left after removing page boilerplate")
    outlet = outlet_hint or cleaned.outlet
    published = _normalized(published_hint) or cleaned.published or published_date(raw)
    return LoadedArticle(
        id=article_id,
        source=source,
        title=cleaned.title,
        text=cleaned.text,
        outlet=outlet,
        published=published,
        content_hash=content_hash(cleaned.title, cleaned.text, outlet, published),
        canonical_url=canonical,
    )


def _normalized(value: str | None) -> str | None:
    """A date as YYYY-MM-DD (pages and feeds give ISO timestamps or other forms)."""
    if not value:
        return None
    match = re.match(r"\d{4}-\d\d-\d\d", value.strip())
    return match.group() if match else published_date(value)


def load_file(path: Path, max_bytes: int) -> LoadedArticle:
    """Read one article file."""
    where = str(path)
    try:
        # Non-blocking, so that opening a FIFO returns at once; then only a regular file is read.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise BadInputError(f"{where}: not a regular file (a FIFO, socket or device)")
            if info.st_size > max_bytes:
                raise BadInputError(
                    f"{where}: {info.st_size} bytes is over the {max_bytes}-byte limit"
                )
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise BadInputError(f"{where}: over the {max_bytes}-byte limit")
    except OSError as exc:
        raise BadInputError(f"{where}: cannot read ({exc.strerror or exc})") from exc
    raw = decode_article(data, where)
    return build_article(
        raw,
        article_id=str(path.resolve()),
        source=path.name,
        is_html=SUPPORTED_SUFFIXES[path.suffix.lower()] == "html",
        where=where,
    )
