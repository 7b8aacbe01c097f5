"""What processes on one host share through small files beside the database: a lock and a change counter.

Both stand in for what a database server would offer (an advisory lock, a notification), for engines that
are files: the SQLite store and the request journal.
"""

from __future__ import annotations

import mmap
import os
import threading
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows, where several processes cannot serve one database anyway
    fcntl = None  # type: ignore[assignment]


class FileLock:
    """A lock every thread of every process that opens `path` queues on: a thread lock inside the
    process, `flock` on the file across processes. Both hand over at once to the next waiter.

    `shared=True` takes the file lock shared (readers that only need writers kept out).
    """

    def __init__(self, path: Path) -> None:
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        if fcntl is not None:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self, shared: bool = False) -> None:
        self._thread_lock.acquire()
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Generation:
    """A change counter in a small file that every process maps into memory: reading it is a memory read
    (no system call, no SQL statement). A process caches what the counter stamps and reads it again only
    when the counter has moved.

    Bumped only after the change it announces is done and under a lock every process takes (so bumps
    never race), and read before what it stamps: a cache can be one bump behind for an instant, never
    stale after the change was answered.
    """

    SIZE = 8

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < self.SIZE:
                os.ftruncate(fd, self.SIZE)  # zeros; a second process doing the same changes nothing
            self._map = mmap.mmap(fd, self.SIZE)
        finally:
            os.close(fd)

    def value(self) -> int:
        return int.from_bytes(self._map[: self.SIZE], "little")

    def bump(self) -> None:
        self._map[: self.SIZE] = ((self.value() + 1) % (1 << 64)).to_bytes(self.SIZE, "little")

    def trust_known(self) -> None:
        """Every read is exact and free: nothing to trust."""

    def settle(self) -> None:
        """Every read was exact: nothing to settle."""

    def close(self) -> None:
        self._map.close()
