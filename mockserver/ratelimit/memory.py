"""Rate-limit windows in the process: exact when the process is the whole server."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from mockserver.ratelimit import Refusal, Window, app_prefix


class MemoryWindows:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (count, expires_at)
        self._lock = threading.Lock()

    def hit(self, caller: str, windows: Sequence[Window], now: float) -> Refusal | None:
        with self._lock:
            counted = []
            for window in windows:
                key = window.key(caller)
                count, expires_at = self._windows.get(key, (0, 0.0))
                if expires_at <= now:
                    count, expires_at = 0, now + window.seconds
                if count >= window.limit:
                    return Refusal.of(window, expires_at, now)
                counted.append((key, count + 1, expires_at))
            for key, count, expires_at in counted:
                self._windows[key] = (count, expires_at)
            return None

    def clear(self, apps: Sequence[str] | None = None) -> None:
        with self._lock:
            if apps is None:
                self._windows.clear()
                return
            prefixes = tuple(app_prefix(app_id) for app_id in apps)
            for key in [k for k in self._windows if k.startswith(prefixes)]:
                del self._windows[key]

    def ping(self) -> None:
        """Nothing to ask: the windows are in the process."""
