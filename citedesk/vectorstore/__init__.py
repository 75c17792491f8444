"""Chroma storage (embedded or server) and hybrid retrieval over it."""

from citedesk.vectorstore._corpus_index import prepare_index
from citedesk.vectorstore.store import (
    ArticleRecord,
    ArticleStore,
    EmbeddedStore,
    ServerStore,
    open_store,
)

__all__ = [
    "ArticleRecord",
    "ArticleStore",
    "EmbeddedStore",
    "ServerStore",
    "open_store",
    "prepare_index",
]
