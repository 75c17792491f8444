"""Turn article files, pages and feeds into chunks in the article store."""

from citedesk.ingest.pipeline import IngestReport, ingest_paths, ingest_sources, ingest_upload

__all__ = ["IngestReport", "ingest_paths", "ingest_sources", "ingest_upload"]
