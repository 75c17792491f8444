"""The child process of `_corpus_index.build_in_child`: reads chunk rows on stdin, saves an index.

python -m citedesk.vectorstore._build_child GENERATION FOLDER
"""

import contextlib
import os
import sys

from citedesk.vectorstore._corpus_index import build_from_stdin

if __name__ == "__main__":
    # A background job beside questions being answered: the scheduler should favour those.
    with contextlib.suppress(OSError):
        os.nice(10)
    sys.exit(build_from_stdin(*sys.argv[1:3]))
