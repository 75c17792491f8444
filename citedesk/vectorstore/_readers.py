"""Questions in flight over an index, so that the index can be replaced (and the store written)
between them."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class Readers:
    """Counts the threads reading an index; a swap runs at a moment when none is.

    Replacing a 100k-chunk retrieval index beside the old one held both (+20-35 MB at the end of
    every ingest in a bot). With a moment when no question is in flight, the old one is dropped
    first and the new one loaded (0.1 s) while new questions wait. The swap never waits for a
    question indefinitely: it takes the first such moment, and gives up after `wait` seconds.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._count = 0
        self._swapping = False
        self._local = threading.local()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Hold off swaps while this block runs (reentrant: a question calls retrieval)."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            with self._condition:
                self._condition.wait_for(lambda: not self._swapping)
                self._count += 1
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                with self._condition:
                    self._count -= 1
                    self._condition.notify_all()

    @contextlib.contextmanager
    def alone(self, wait: float) -> Iterator[bool]:
        """Yield True once no reader is in flight, holding new ones back until the block ends;
        False (nobody held back) if no such moment came within `wait` seconds, or if this thread
        is a reader itself."""
        if getattr(self._local, "depth", 0):
            yield False
            return
        with self._condition:
            alone = self._condition.wait_for(lambda: self._count == 0, timeout=wait)
            self._swapping = alone
        try:
            yield alone
        finally:
            if alone:
                with self._condition:
                    self._swapping = False
                    self._condition.notify_all()
