"""Log ids and the request journal (`GET /mock-api/requests`)."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mockserver.ids import rng
from mockserver.storage.files import FileLock, Generation

MAX_ENTRIES = 10_000


def new_log_id(now: float) -> str:
    """Feishu's shape: a local timestamp (yyyymmddHHMMSS) and 20 upper-case hex digits."""
    return time.strftime("%Y%m%d%H%M%S", time.localtime(now)) + f"{rng.getrandbits(80):020X}"


@dataclass(frozen=True)
class JournalEntry:
    method: str
    path: str
    status: int
    code: int | None
    log_id: str
    time: float
    operation: str | None
    app_id: str | None


class JournalTable(Protocol):
    """Where the journal lives: in the process (`LocalJournal`) or in a file beside the database that
    every process appends to (`FileJournal`, shared state)."""

    def record(self, entry: Mapping[str, Any], keep: int) -> None: ...

    def journal(self, keep: int) -> list[dict[str, Any]]: ...

    def clear_journal(self) -> None: ...

    def close(self) -> None: ...


class LocalJournal:
    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()

    def record(self, entry: Mapping[str, Any], keep: int) -> None:
        with self._lock:
            self._entries.append(dict(entry))

    def journal(self, keep: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)[-keep:]

    def clear_journal(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        pass


class Journal:
    """The last `MAX_ENTRIES` requests to the Feishu surface (not the control plane), oldest first."""

    def __init__(self, table: JournalTable | None = None) -> None:
        self._table: JournalTable = table or LocalJournal()

    def record(self, entry: JournalEntry) -> None:
        self._table.record(vars(entry), MAX_ENTRIES)

    def entries(self) -> list[dict[str, Any]]:
        return self._table.journal(MAX_ENTRIES)

    def clear(self) -> None:
        self._table.clear_journal()

    def close(self) -> None:
        self._table.close()


class FileJournal:
    """The journal of several processes serving one database (shared state): a file of JSON lines,
    `<db>.requests`, that every process appends to.

    An entry is one `write(2)` on an O_APPEND descriptor, which the kernel keeps whole and in order
    among all writers: no lock and one system call per request, done before the answer is sent. When
    the file holds `keep` entries it becomes `<db>.requests.1` (the one before is dropped), so the two
    hold the last `keep` at least. Rotation and clearing take an exclusive `flock` and bump a
    `Generation`, on which writers reopen the file; readers take the lock shared.
    """

    # How often (in a process's own appends) it looks whether the file is due to rotate.
    CHECK_EVERY = 500
    # Below this size the file cannot hold `keep` entries yet (no entry is shorter), so nobody counts.
    MIN_ENTRY_BYTES = 100

    def __init__(self, path: Path) -> None:
        self.path = path
        self.older = Path(f"{path}.1")
        self._generation = Generation(Path(f"{path}.generation"))
        self._lock = FileLock(Path(f"{path}.lock"))
        self._thread_lock = threading.Lock()  # this process's descriptor
        self._fd: int | None = None
        self._fd_generation = -1
        self._appends = 0

    @contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        self._lock.acquire(shared=not exclusive)
        try:
            yield
        finally:
            self._lock.release()

    def _descriptor(self) -> int:
        generation = self._generation.value()
        if self._fd is None or self._fd_generation != generation:
            with self._thread_lock:
                if self._fd is not None:
                    os.close(self._fd)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                self._fd_generation = generation
        return self._fd

    def record(self, entry: Mapping[str, Any], keep: int) -> None:
        # ASCII (escapes for the rest): any str, even a lone surrogate, makes a line that reads back.
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        os.write(self._descriptor(), line.encode("ascii"))
        self._appends += 1
        if self._appends % self.CHECK_EVERY == 0:
            self._rotate_if_full(keep)

    def _rotate_if_full(self, keep: int) -> None:
        if os.fstat(self._descriptor()).st_size < keep * self.MIN_ENTRY_BYTES:
            return
        with self._locked(exclusive=True):
            # Another process may have rotated already: count the file as it is now.
            if len(self._read(self.path)) < keep:
                return
            os.replace(self.path, self.older)
            self._generation.bump()

    def journal(self, keep: int) -> list[dict[str, Any]]:
        with self._locked(exclusive=False):
            lines = self._read(self.older) + self._read(self.path)
        entries = []
        for line in lines[-keep:]:
            with contextlib.suppress(ValueError):  # a line cut short by a power loss, not by a kill
                entries.append(json.loads(line))
        return entries

    @staticmethod
    def _read(path: Path) -> list[bytes]:
        try:
            return path.read_bytes().splitlines()
        except FileNotFoundError:
            return []

    def clear_journal(self) -> None:
        with self._locked(exclusive=True):
            self.older.unlink(missing_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.truncate(self.path, 0)
            self._generation.bump()

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        self._lock.close()
        self._generation.close()
