"""Turn article files, pages and feeds into chunks in the article store."""

from ingest.pipeline import IngestReport, ingest_paths, ingest_sources

__all__ = ["IngestReport", "ingest_paths", "ingest_sources"]
