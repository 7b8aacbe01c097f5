"""Log ids and the request journal (`GET /mock-api/requests`)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

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


class Journal:
    """The last `MAX_ENTRIES` requests to the Feishu surface (not the control plane), oldest first."""

    def __init__(self) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
