"""The child process of `ingest._ingest_process.ingest_in_child_process`: a bot's whole ingest,
as the Desk of a process that does not answer runs it (the articles, then Chroma's vector graph and
the retrieval index saved for the bot to load).

python -m citedesk._ingest_child
"""

import sys
from typing import Any

from citedesk.desk import Desk
from citedesk.ingest import UPLOAD, IngestReport, serve_ingest_child
from citedesk.settings import Settings


def _ingest(settings: Settings, kind: str, arguments: dict[str, Any]) -> IngestReport:
    with Desk.open(settings) as desk:
        if kind == UPLOAD:
            return desk.ingest_upload(**arguments)
        return desk.ingest(**arguments)


if __name__ == "__main__":
    sys.exit(serve_ingest_child(_ingest))
