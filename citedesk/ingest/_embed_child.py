"""The child process of `_embedder.ChildProcessEmbedder`: documents on stdin, chunks on stdout.

python -m citedesk.ingest._embed_child MODEL_NAME CHUNK_CHARS
"""

import sys

from citedesk.ingest._embedder import serve

if __name__ == "__main__":
    sys.exit(serve(*sys.argv[1:3]))
