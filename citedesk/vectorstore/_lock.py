"""One process at a time on an embedded Chroma folder.

Chroma's embedded mode keeps its index in process memory and on disk; two processes writing one
folder can corrupt it, and a reader in another process does not see new writes. So the first
process to open a folder holds an exclusive lock on it until it exits (the kernel releases the
lock even after kill -9). Sharing one store between the bot and ingest jobs is what a Chroma
server (`chroma run`, CHROMA_URL) is for.

The one exception is a child the holder starts to write for it (a bot's ingest, see
ingest/_ingest_process.py): it inherits the lock's file descriptor, and with it the lock, named in
`INHERITED_LOCK_ENV`; the holder writes nothing meanwhile.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from pathlib import Path
from typing import IO

from citedesk.errors import StoreBusyError

# The environment variable naming a store lock's file descriptor that a child inherited.
INHERITED_LOCK_ENV = "CITEDESK_STORE_LOCK_FD"

_held: dict[Path, IO[str]] = {}
_guard = threading.Lock()


def store_lock_fd(folder: Path) -> int:
    """The file descriptor of this process's lock on a store folder, for a child to inherit."""
    path = (folder / "citedesk.lock").resolve()
    with _guard:
        return _held[path].fileno()


def _inherited_lock(path: Path) -> IO[str] | None:
    """The lock on `path` this process inherited from its parent, if it did (and only once)."""
    fd = os.environ.get(INHERITED_LOCK_ENV, "")
    if not fd.isdigit():
        return None
    try:
        inherited, wanted = os.fstat(int(fd)), path.stat()
    except OSError:
        return None
    if (inherited.st_dev, inherited.st_ino) != (wanted.st_dev, wanted.st_ino):
        return None
    del os.environ[INHERITED_LOCK_ENV]  # not for this process's own children
    return os.fdopen(int(fd), "a+", encoding="utf-8")


def hold_store_lock(folder: Path) -> None:
    """Lock a store folder for this process (again is fine), or raise StoreBusyError."""
    path = (folder / "citedesk.lock").resolve()
    with _guard:
        if path in _held:
            return
        inherited = _inherited_lock(path)
        if inherited is not None:
            _held[path] = inherited
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
