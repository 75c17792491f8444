"""One process at a time on an embedded Chroma folder.

Chroma's embedded mode keeps its index in process memory and on disk; two processes writing one
folder can corrupt it, and a reader in another process does not see new writes. So the first
process to open a folder holds an exclusive lock on it until it exits (the kernel releases the
lock even after kill -9). Sharing one store between the bot and ingest jobs is what a Chroma
server (`chroma run`, CHROMA_URL) is for.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from pathlib import Path
from typing import IO

from citedesk.errors import StoreBusyError

_held: dict[Path, IO[str]] = {}
_guard = threading.Lock()


def hold_store_lock(folder: Path) -> None:
    """Lock a store folder for this process (again is fine), or raise StoreBusyError."""
    path = (folder / "citedesk.lock").resolve()
    with _guard:
        if path in _held:
            return
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreBusyError(
                f"the store in {folder} is in use by {holder}; embedded Chroma is not safe for two "
                "processes: stop it, ingest through the bot (/ingest URL or send the file), or share "
                "a Chroma server (set CHROMA_URL, see README)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} ({' '.join(Path(a).name for a in sys.argv[:2])})")
        handle.flush()
        _held[path] = handle
