"""Chunks as Chroma rows: what an ingest's embedding step hands to the store.

A bot's ingest chunks and embeds in a child process and writes what comes back. As llama-index
nodes, each chunk arrived as a pydantic object, a few dicts and its vector as 384 Python floats
(~9 KB of small objects); they were freed after each write, but among what the bot's answers
allocated meanwhile, so Python's allocator kept most of their memory. As rows, a chunk is three
strings and a flat dict, and every vector of a call is one float32 matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.utils import node_to_metadata_dict

from citedesk.vectorstore.sentences import VECTORS_KEY

# The metadata field `node_to_metadata_dict` gives every row: the id of the node's document.
_ARTICLE_KEY = "ref_doc_id"
_NONE = np.zeros((0, 0), dtype=np.float32)


@dataclass
class ChunkRows:
    """Chunks as `Collection.upsert` takes them; row i of each field is chunk i."""

    ids: list[str]
    documents: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: np.ndarray  # float32, one row per chunk

    @classmethod
    def from_nodes(cls, nodes: Sequence[BaseNode]) -> ChunkRows:
        """Serialise embedded nodes as llama-index's Chroma store does, vectors stored once.

        Stock serialisation puts the whole node (its metadata too) into the `_node_content`
        field, so the packed sentence vectors, the biggest part of a row, would be written and
        read twice; here they live only in their own field.
        """
        metadatas = []
        for node in nodes:
            packed = node.metadata.pop(VECTORS_KEY, None)
            try:
                metadata = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
            finally:
                if packed is not None:
                    node.metadata[VECTORS_KEY] = packed
            if packed is not None:
                metadata[VECTORS_KEY] = packed
            metadatas.append({k: "" if v is None else v for k, v in metadata.items()})
        return cls(
            ids=[node.node_id for node in nodes],
            documents=[node.get_content(metadata_mode=MetadataMode.NONE) for node in nodes],
            metadatas=metadatas,
            embeddings=(
                np.asarray([node.get_embedding() for node in nodes], dtype=np.float32)
                if nodes
                else _NONE
            ),
        )

    @classmethod
    def joined(cls, parts: Sequence[ChunkRows]) -> ChunkRows:
        parts = [part for part in parts if len(part)]
        return cls(
            ids=[row_id for part in parts for row_id in part.ids],
            documents=[text for part in parts for text in part.documents],
            metadatas=[meta for part in parts for meta in part.metadatas],
            embeddings=np.concatenate([part.embeddings for part in parts]) if parts else _NONE,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def slice(self, start: int, stop: int) -> ChunkRows:
        return ChunkRows(
            ids=self.ids[start:stop],
            documents=self.documents[start:stop],
            metadatas=self.metadatas[start:stop],
            embeddings=self.embeddings[start:stop],
        )

    def by_article(self) -> dict[str, ChunkRows]:
        """Each article's rows, in order (an embedding step returns an article's chunks together)."""
        starts: dict[str, int] = {}
        stops: dict[str, int] = {}
        for index, meta in enumerate(self.metadatas):
            article_id = str(meta[_ARTICLE_KEY])
            starts.setdefault(article_id, index)
            stops[article_id] = index + 1
        parts = {
            article_id: self.slice(starts[article_id], stops[article_id]) for article_id in starts
        }
        if sum(map(len, parts.values())) != len(self):
            raise ValueError("an article's chunks are not together")
        return parts
