"""How a chunk carries its sentences: offsets and float16 vectors, packed into Chroma metadata.

Chroma metadata holds only scalars, so the vectors travel as one base64 string per chunk
(384 dimensions x 2 bytes per sentence). float16 keeps cosines within about 1e-3 of float32.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

SPANS_KEY = "sentence_spans"
VECTORS_KEY = "sentence_vectors"
SENTENCE_KEYS = (SPANS_KEY, VECTORS_KEY)


def pack_sentences(spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> dict[str, str]:
    """Return the metadata entries for a chunk's sentences."""
    return {
        SPANS_KEY: ";".join(f"{start}:{end}" for start, end in spans),
        VECTORS_KEY: base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode(),
    }


def unpack_sentences(metadata: Mapping[str, Any]) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Return a chunk's sentence offsets and their vectors (rows), or nothing if absent."""
    packed_spans = str(metadata.get(SPANS_KEY) or "")
    packed_vectors = str(metadata.get(VECTORS_KEY) or "")
    if not packed_spans or not packed_vectors:
        return [], np.zeros((0, 0), dtype=np.float32)
    spans = []
    for pair in packed_spans.split(";"):
        start, end = pair.split(":")
        spans.append((int(start), int(end)))
    flat = np.frombuffer(base64.b64decode(packed_vectors), dtype=np.float16)
    vectors = flat.reshape(len(spans), -1).astype(np.float32)
    return spans, vectors
