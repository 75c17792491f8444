"""Chunks are whole sentences and know where they sit in the cleaned article."""

from __future__ import annotations

import itertools

from llama_index.core import Document

from citedesk.ingest._chunk import SentenceChunker
from citedesk.ingest._clean import clean_article
from citedesk.paths import SAMPLE_CORPUS
from citedesk.text import sentence_spans


def _chunks(chunk_chars: int):  # type: ignore[no-untyped-def]
    text = clean_article((SAMPLE_CORPUS / "002_a7e53cb0cf0bcaf9.txt").read_text()).text
    document = Document(id_="a", text=text, metadata={"content_hash": "h" * 64, "title": "t"})
    return text, SentenceChunker(chunk_chars=chunk_chars).get_nodes_from_documents([document])


def test_chunk_offsets_point_at_the_chunk_text() -> None:
    text, chunks = _chunks(500)
    assert len(chunks) > 3
    for chunk in chunks:
        assert text[chunk.metadata["start"] : chunk.metadata["end"]] == chunk.text
        assert (chunk.start_char_idx, chunk.end_char_idx) == (
            chunk.metadata["start"],
            chunk.metadata["end"],
        )


def test_chunks_cover_every_sentence_on_boundaries_mostly_overlapping() -> None:
    text, chunks = _chunks(500)
    spans = sentence_spans(text)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    for chunk in chunks:
        assert chunk.metadata["start"] in starts and chunk.metadata["end"] in ends
    for start, end in spans:  # no sentence falls between two chunks
        assert any(c.metadata["start"] <= start and end <= c.metadata["end"] for c in chunks)
    pairs = list(itertools.pairwise(chunks))
    overlapping = [b for a, b in pairs if b.metadata["start"] < a.metadata["end"]]
    assert len(overlapping) >= len(pairs) // 2


def test_a_sentence_longer_than_a_chunk_is_kept_whole() -> None:
    text, chunks = _chunks(200)
    for chunk in chunks:
        assert chunk.text.strip()
    assert chunks[-1].metadata["end"] == len(text)
