"""A change counter that every process on one database maps into memory."""

from __future__ import annotations

import mmap
import os
from pathlib import Path


class Generation:
    """A counter in a small file that every process maps into memory: reading it is a memory read (no
    system call, no SQLite statement). A process caches what the counter stamps and reads it again only
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

    def close(self) -> None:
        self._map.close()
