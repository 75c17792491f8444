"""Child processes that a test stops with Ctrl-C."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def ctrl_c_as_at_a_terminal() -> Iterator[None]:
    """Start children with SIGINT at its default inside this block.

    A suite run as a background job starts with SIGINT ignored, which children inherit (and then
    Python installs no KeyboardInterrupt). Set in the parent around Popen rather than in a
    preexec_fn, which is unsafe while the parent runs threads.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
