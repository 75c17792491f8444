"""Where citedesk's own files live: the bundled sample corpus and the default data folder."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The sample articles ship inside the package (package data), so an installed wheel has them too.
SAMPLE_CORPUS = PACKAGE_DIR / "data" / "sample"
# A source checkout (what ./start.sh runs) keeps its data beside the code, in data/; an installed
# package keeps it in the user's data folder.
PROJECT_ROOT = PACKAGE_DIR.parent
_IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()
DEFAULT_DATA_DIR = (
    PROJECT_ROOT / "data"
    if _IN_CHECKOUT
    else Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "citedesk"
)
