"""Settings of this process that must be made before its threads start."""

from __future__ import annotations

import contextlib
import ctypes
import os

# glibc's mallopt parameter for the most malloc arenas a process may create.
_M_ARENA_MAX = -8
# A bot needs few: its threads (questions, an ingest, Chroma's) then share them.
BOT_MALLOC_ARENAS = 2


# Where SCHED_IDLE is not available: how much lower than its parent's a child's priority is.
_BACKGROUND_NICENESS = 10


def run_in_background() -> None:
    """Let any other process's thread that wants a core take it from this one at once.

    For a bot's children (the ingest's chunking and embedding, the retrieval index build). At
    nice 10 the scheduler may still let a child's model threads run out their time slice when a
    bot thread wakes, and a reply wakes a dozen times. Linux's SCHED_IDLE policy preempts such a
    thread whenever another wakes; the threads this process starts later inherit it. Call it
    before they start. (During a 1,000-article in-bot ingest at 102k chunks the replies' p95 went
    from 69.0-70.6 to 64.9 ms, and to the idle p95, 35.6-36.2 ms, while the index was built.)
    """
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    with contextlib.suppress(OSError):
        os.nice(_BACKGROUND_NICENESS)


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
