"""Log ids and the request journal (`GET /mock-api/requests`)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

MAX_ENTRIES = 10_000


def new_log_id(now: float) -> str:
    """Feishu's shape: a local timestamp (yyyymmddHHMMSS) and 20 upper-case hex digits."""
    return time.strftime("%Y%m%d%H%M%S", time.localtime(now)) + secrets.token_hex(10).upper()


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
    """Where the journal lives: in the process (`LocalJournal`) or in the database (shared state)."""

    def record(self, entry: Mapping[str, Any], keep: int) -> None: ...

    def journal(self, keep: int) -> list[dict[str, Any]]: ...

    def clear_journal(self) -> None: ...


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
