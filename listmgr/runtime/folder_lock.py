"""One `listmgr up` per state folder: the running stack holds a lock on `.listmgr/up.lock`.

The lock is an advisory `flock` on a file that is never deleted (deleting it would let a third
`listmgr up` lock a new file while the second still holds the old one). The kernel releases it
when the process ends, however it ends, so a crashed stack never leaves a stale lock behind.
"""

import fcntl
import os
from pathlib import Path
from typing import IO


class FolderTaken(RuntimeError):
    """Another `listmgr up` runs with this state folder."""


class FolderLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "up.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Takes the folder, or raises FolderTaken naming the process that has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise FolderTaken(
                f"another `listmgr up` (pid {holder}) is running with {self.path.parent}; "
                "stop it first, or give this one another --state-dir"
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
