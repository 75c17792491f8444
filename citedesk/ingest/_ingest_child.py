"""The child process of `_ingest_process.ingest_in_child_process`: a bot's whole ingest.

python -m citedesk.ingest._ingest_child
"""

import sys

from citedesk.ingest._ingest_process import serve

if __name__ == "__main__":
    sys.exit(serve())
