"""Sentence-aware chunking that keeps each chunk's offsets in the cleaned article."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode
from pydantic import Field

from citedesk.text import sentence_spans
from citedesk.vectorstore.store import EMBEDDED_METADATA, chunk_id

# Metadata that helps retrieval when embedded with the text; the rest is bookkeeping.
_BOOKKEEPING = ("chunk_index", "start", "end", "_spans")


class SentenceChunker(NodeParser):
    """Group whole sentences into chunks of about `chunk_chars`, overlapping by one sentence."""

    chunk_chars: int = Field(default=700, description="Target chunk length in characters.")
    overlap_sentences: int = Field(default=1, description="Sentences repeated from the last chunk.")

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        chunks: list[BaseNode] = []
        for document in nodes:
            assert isinstance(document, Document)
            chunks.extend(self._chunk_document(document))
        return chunks

    def _chunk_document(self, document: Document) -> list[TextNode]:
        text = document.text
        spans = sentence_spans(text)
        groups: list[list[tuple[int, int]]] = []
        current: list[tuple[int, int]] = []
        for span in spans:
            if current and span[1] - current[0][0] > self.chunk_chars:
                groups.append(current)
                current = current[-self.overlap_sentences :] if self.overlap_sentences else []
                # An overlap that alone fills the chunk would repeat forever.
                if current and span[1] - current[0][0] > self.chunk_chars:
                    current = []
            current.append(span)
        if current and (not groups or current[-1] != groups[-1][-1]):
            groups.append(current)

        content_hash = str(document.metadata["content_hash"])
        excluded = [key for key in document.metadata if key not in EMBEDDED_METADATA]
        # Computed once: it hashes the whole article, which per chunk cost more than chunking.
        source = document.as_related_node_info()
        chunks = []
        for index, group in enumerate(groups):
            start, end = group[0][0], group[-1][1]
            chunks.append(
                TextNode(
                    id_=chunk_id(document.id_, content_hash, index),
                    text=text[start:end],
                    start_char_idx=start,
                    end_char_idx=end,
                    # "_spans" is for the SentenceEmbedder, which replaces it with packed vectors.
                    metadata={"chunk_index": index, "start": start, "end": end, "_spans": group},
                    excluded_embed_metadata_keys=[*excluded, *_BOOKKEEPING],
                    excluded_llm_metadata_keys=[*excluded, *_BOOKKEEPING],
                    relationships={NodeRelationship.SOURCE: source},
                )
            )
        return chunks
