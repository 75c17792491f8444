"""Export the bundled embedding model to ONNX now (setup runs this; first use would otherwise).

python -m citedesk.vectorstore.export
"""

from __future__ import annotations

from pathlib import Path

from citedesk.settings import BUNDLED_MODEL
from citedesk.vectorstore._onnx import ensure_onnx
from citedesk.vectorstore.embedding import resolve_model_path


def main() -> None:
    print(ensure_onnx(Path(resolve_model_path(BUNDLED_MODEL))))


if __name__ == "__main__":
    main()
