"""Where the project's own files live."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "corpus" / "sample"
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
