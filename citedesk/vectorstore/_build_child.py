"""The child process of `_corpus_index.build_in_child`: reads chunk rows on stdin, saves an index.

python -m citedesk.vectorstore._build_child GENERATION FOLDER
"""

import sys

from citedesk.vectorstore._corpus_index import build_from_stdin

if __name__ == "__main__":
    sys.exit(build_from_stdin(*sys.argv[1:3]))
