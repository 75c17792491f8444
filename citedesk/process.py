"""Settings of this process that must be made before its threads start."""

from __future__ import annotations

import contextlib
import ctypes

# glibc's mallopt parameter for the most malloc arenas a process may create.
_M_ARENA_MAX = -8
# A bot needs few: its threads (questions, an ingest, Chroma's) then share them.
BOT_MALLOC_ARENAS = 2


def libc() -> ctypes.CDLL:
    """The C library (glibc on Linux); raises OSError where there is none by that name."""
    return ctypes.CDLL("libc.so.6")


def cap_malloc_arenas(count: int = BOT_MALLOC_ARENAS) -> bool:
    """Let glibc's malloc create at most `count` arenas; False where that is not possible.

    By default glibc gives up to eight arenas per core to a process's threads, and memory freed
    in one is only reused by the threads on it. In a bot, questions are answered on worker
    threads while an ingest runs on another, so each thread's freed buffers sat unused beside
    the others' growth: a Desk at 102k chunks answering on two threads while it ingested 300
    articles peaked at 700 MB, and at 629 MB with two arenas (base 525 and 508 MB; 9% fewer
    answers in the same time). Call it before the threads start: a thread keeps its arena.
    """
    with contextlib.suppress(OSError, AttributeError):
        return bool(libc().mallopt(_M_ARENA_MAX, count))
    return False
