"""Rate limits per app per operation, read from the spec's `x-feishu-rate-limits` (`limits` notation).

Fixed windows on the mock's clock, so a test can roll a window by advancing the clock. Any one limit of
an operation trips it ("1000/minute & 50/second"), and a refused call is counted in none of them.

Where the windows are counted is a `Windows`: in the process (`memory.MemoryWindows`) or in the mock's
database (`database.DatabaseWindows`, for several processes serving one database).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from limits import parse

from feishu_hire_kit.spec import Operation
from mockserver.clock import Clock
from mockserver.errors import RATE_LIMITED, FeishuAPIError


@dataclass(frozen=True)
class Window:
    """At most `limit` calls per `seconds`."""

    limit: int
    seconds: int

    def key(self, caller: str) -> str:
        return f"{caller}/{self.limit}/{self.seconds}"


@dataclass(frozen=True)
class Refusal:
    """The window that was full: its limit, and the whole seconds until it starts over (at least 1)."""

    limit: int
    reset_seconds: int

    @classmethod
    def of(cls, window: Window, expires_at: float, now: float) -> Refusal:
        return cls(window.limit, max(1, math.ceil(expires_at - now)))


class Windows(Protocol):
    """Fixed-window counters. A window starts at the first call counted in it and lasts its `seconds`."""

    def hit(self, caller: str, windows: Sequence[Window], now: float) -> Refusal | None:
        """Counts one call of `caller` in every window, all at once, or, if any is full, counts it in
        none and answers the full one. Exact across every process that counts in the same place."""
        ...

    def clear(self, apps: Sequence[str] | None = None) -> None:
        """Every window gone (None), or only the windows of these apps."""
        ...

    def ping(self) -> None:
        """Returns once the windows can be counted now, or raises the FeishuAPIError a call would get
        (1002001). Windows kept by the store (or the process) have nothing of their own to ask."""
        ...


def caller_key(app_id: str, operation_id: str) -> str:
    """Whose calls a window counts: one app's calls to one operation."""
    return f"{app_id}/{operation_id}"


def app_prefix(app_id: str) -> str:
    """What the keys of every window of the app start with."""
    return f"{app_id}/"


def rate_limited(limit: int, reset_seconds: int) -> FeishuAPIError:
    """99991400 with the headers a client waits on."""
    return FeishuAPIError(
        RATE_LIMITED,
        headers={"x-ogw-ratelimit-limit": str(limit), "x-ogw-ratelimit-reset": str(reset_seconds)},
    )


class RateLimiter:
    def __init__(self, clock: Clock, windows: Windows, enabled: bool = True, scale: float = 1.0) -> None:
        self.clock = clock
        self.windows = windows
        self.enabled = enabled
        self.scale = scale
        self._windows_of: dict[str, tuple[Window, ...]] = {}

    def windows_of(self, operation: Operation) -> tuple[Window, ...]:
        """The operation's limits, each count multiplied by the scale (at least 1)."""
        found = self._windows_of.get(operation.operation_id)
        if found is None:
            items = [parse(text) for text in operation.rate_limits]
            found = tuple(Window(max(1, round(i.amount * self.scale)), i.get_expiry()) for i in items)
            self._windows_of[operation.operation_id] = found
        return found

    def hit(self, app_id: str, operation: Operation, now: float | None = None) -> None:
        """Counts one call of `app_id` to `operation` at `now` (default: the clock's; a tenant's calls
        count on its own clock), or raises 99991400 (a refused call is not counted)."""
        if not self.enabled:
            return
        windows = self.windows_of(operation)
        if not windows:
            return
        at = self.clock.now() if now is None else now
        refusal = self.windows.hit(caller_key(app_id, operation.operation_id), windows, at)
        if refusal is not None:
            raise rate_limited(refusal.limit, refusal.reset_seconds)

    def reset(self, apps: Sequence[str] | None = None) -> None:
        """Every window gone (None), or only the windows of these apps."""
        self.windows.clear(apps)
