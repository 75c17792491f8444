"""Turn article files, pages and feeds into chunks in the article store."""

from citedesk.ingest._ingest_process import (
    SOURCES,
    UPLOAD,
    ingest_in_child_process,
    serve_ingest_child,
)
from citedesk.ingest.pipeline import IngestReport, ingest_paths, ingest_sources, ingest_upload

__all__ = [
    "SOURCES",
    "UPLOAD",
    "IngestReport",
    "ingest_in_child_process",
    "ingest_paths",
    "ingest_sources",
    "ingest_upload",
    "serve_ingest_child",
]
