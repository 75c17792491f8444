"""The process settings a bot makes before its threads start."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_arena_cap_is_taken_by_glibc() -> None:
    # In a child: the cap holds for the rest of a process, and the suite's own must stay as is.
    code = "from citedesk.process import cap_malloc_arenas; print(cap_malloc_arenas(2))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "True"
