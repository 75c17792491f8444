"""The child process of `_corpus_index.build_in_child`: reads chunk rows on stdin, saves an index.

python -m citedesk.vectorstore._build_child GENERATION FOLDER
"""

import sys

from citedesk.process import run_in_background
from citedesk.vectorstore._corpus_index import build_from_stdin

if __name__ == "__main__":
    run_in_background()  # beside questions being answered: the scheduler should favour those
    sys.exit(build_from_stdin(*sys.argv[1:3]))
