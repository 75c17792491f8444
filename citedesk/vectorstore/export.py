"""Export the bundled embedding model to ONNX, float and int8, now (setup and the Docker build
run this; first use would otherwise).

python -m citedesk.vectorstore.export
"""

from __future__ import annotations

from pathlib import Path

from citedesk.settings import BUNDLED_MODEL
from citedesk.vectorstore._onnx import ensure_onnx, ensure_split
from citedesk.vectorstore.embedding import resolve_model_path


def main() -> None:
    model_dir = Path(resolve_model_path(BUNDLED_MODEL))
    for quantized in (False, True):
        print(ensure_split(ensure_onnx(model_dir, quantized=quantized)))


if __name__ == "__main__":
    main()
