"""The package layout stays as the README describes it."""

from __future__ import annotations

import ast
from pathlib import Path

import citedesk

PACKAGE = Path(citedesk.__file__).parent


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_no_module_imports_another_packages_private_module() -> None:
    offences = []
    for path in PACKAGE.rglob("*.py"):
        home = path.relative_to(PACKAGE).parts[0]
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "citedesk" or len(parts) < 3:
                continue
            private = [p for p in parts[2:] if p.startswith("_") and not p.startswith("__")]
            if private and parts[1] != home:
                offences.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offences == []


def test_the_sample_corpus_is_package_data() -> None:
    from citedesk.paths import SAMPLE_CORPUS

    assert SAMPLE_CORPUS.is_relative_to(PACKAGE)
    assert len(list(SAMPLE_CORPUS.glob("*.txt"))) == 5
