"""Chroma storage (embedded or server) and hybrid retrieval over it."""

from citedesk.vectorstore._corpus_index import prepare_index
from citedesk.vectorstore._lock import INHERITED_LOCK_ENV, store_lock_fd
from citedesk.vectorstore.store import (
    ArticleRecord,
    ArticleStore,
    EmbeddedStore,
    ServerStore,
    open_store,
)

__all__ = [
    "INHERITED_LOCK_ENV",
    "ArticleRecord",
    "ArticleStore",
    "EmbeddedStore",
    "ServerStore",
    "open_store",
    "prepare_index",
    "store_lock_fd",
]
