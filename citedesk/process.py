"""Settings of this process that must be made before its threads start."""

from __future__ import annotations

import contextlib
import ctypes

# glibc's mallopt parameters: the most malloc arenas a process may create, and the size from
# which a block gets a mapping of its own.
_M_ARENA_MAX = -8
_M_MMAP_THRESHOLD = -3
# A bot needs few arenas: its threads (questions, an ingest, Chroma's) then share them.
BOT_MALLOC_ARENAS = 2
# glibc's own starting value, kept fixed (see `tune_malloc_for_bot`).
BOT_MMAP_THRESHOLD = 128 * 1024


def libc() -> ctypes.CDLL:
    """The C library (glibc on Linux); raises OSError where there is none by that name."""
    return ctypes.CDLL("libc.so.6")


def tune_malloc_for_bot(
    arenas: int = BOT_MALLOC_ARENAS, mmap_threshold: int = BOT_MMAP_THRESHOLD
) -> bool:
    """Make glibc's malloc keep a long-running bot's memory compact; False where it cannot.

    - At most `arenas` arenas. By default glibc gives up to eight per core to a process's
      threads, and memory freed in one is only reused by the threads on it. In a bot, questions
      are answered on worker threads while an ingest runs on another, so each thread's freed
      buffers sat unused beside the others' growth: a Desk at 102k chunks answering on two
      threads while it ingested 300 articles peaked at 700 MB, and at 629 MB with two arenas
      (base 525 and 508 MB; 9% fewer answers in the same time).
    - Blocks from `mmap_threshold` bytes up in mappings of their own, given back when freed.
      glibc starts there but raises the threshold (up to 32 MiB) each time such a block is
      freed, after which buffers of up to that size (query results, pages read from Chroma,
      token arrays) come from the heap, where they fragment it and stay resident. Kept fixed,
      the same probe started at 488 MB instead of 508 and peaked at 607 instead of 629.

    Call it before the threads start: a thread keeps its arena.
    """
    with contextlib.suppress(OSError, AttributeError):
        c = libc()
        capped = bool(c.mallopt(_M_ARENA_MAX, arenas))
        return bool(c.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and capped
    return False
