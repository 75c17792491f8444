"""Embed every sentence once, at ingest, so answering a question needs no model call per sentence.

The transform takes the chunker's nodes and gives each one:
- `sentence_spans` and `sentence_vectors` in its metadata (offsets in the article; float16
  vectors, packed), which the answering engine reads back for the chunks it retrieves;
- an embedding: the normalised mean of its sentences' vectors and its article title's vector.
  One model pass over the text serves both the chunk and the sentence level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, TransformComponent
from pydantic import ConfigDict

from citedesk.vectorstore.sentences import SENTENCE_KEYS, pack_sentences

# Sentences longer than this are cut for embedding only (the model reads 256 tokens at most).
_EMBED_CHARS = 1500


class SentenceEmbedder(TransformComponent):
    """Embed each chunk's sentences (and its title) and derive the chunk's vector from them."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    embed_model: BaseEmbedding

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        texts: dict[str, int] = {}
        plans: list[tuple[list[tuple[int, int]], list[int], int | None]] = []
        for node in nodes:
            spans = [tuple(span) for span in node.metadata.pop("_spans", [])]
            text = node.get_content()
            base = int(node.metadata.get("start", 0))
            rows = []
            for start, end in spans:
                sentence = text[start - base : end - base][:_EMBED_CHARS]
                rows.append(texts.setdefault(sentence, len(texts)))
            title = str(node.metadata.get("title") or "").strip()
            title_row = texts.setdefault(title, len(texts)) if title else None
            plans.append(([(int(s), int(e)) for s, e in spans], rows, title_row))
        if not texts:
            return nodes
        # Sorted by length, so each batch pads to similar lengths.
        order = sorted(texts, key=len)
        vectors = np.asarray(self.embed_model.get_text_embedding_batch(order), dtype=np.float32)
        by_text = {text: vectors[i] for i, text in enumerate(order)}
        matrix = np.stack([by_text[text] for text in texts])
        for node, (spans, rows, title_row) in zip(nodes, plans, strict=True):
            sentence_vectors = matrix[rows] if rows else np.zeros((0, matrix.shape[1]))
            node.metadata.update(pack_sentences(spans, sentence_vectors))
            parts = [sentence_vectors]
            if title_row is not None:
                parts.append(matrix[[title_row]])
            centroid = np.concatenate(parts).mean(axis=0)
            norm = float(np.linalg.norm(centroid)) or 1.0
            node.embedding = (centroid / norm).tolist()
            for key in SENTENCE_KEYS:
                if key not in node.excluded_embed_metadata_keys:
                    node.excluded_embed_metadata_keys.append(key)
                if key not in node.excluded_llm_metadata_keys:
                    node.excluded_llm_metadata_keys.append(key)
        return nodes
