"""Every `ratelimit.Windows` counts alike: all windows of a call or none, a full one answered with its
limit and the seconds until it starts over, a new window once the old one has expired."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.ratelimit import Refusal, Window, Windows
from mockserver.ratelimit.database import DatabaseWindows
from mockserver.ratelimit.memory import MemoryWindows
from mockserver.storage import open_store

SECOND = Window(limit=2, seconds=1)
MINUTE = Window(limit=3, seconds=60)


@pytest.fixture(params=["memory", "database"])
def windows(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Windows]:
    if request.param == "memory":
        yield MemoryWindows()
        return
    store = open_store(tmp_path / "m.db")
    yield DatabaseWindows(store)
    store.close()


def test_a_call_counts_in_every_window_or_in_none(windows: Windows) -> None:
    assert windows.hit("app/op", [SECOND, MINUTE], 100.0) is None
    assert windows.hit("app/op", [SECOND, MINUTE], 100.2) is None
    # The second-window is full: refused, and counted in neither window.
    assert windows.hit("app/op", [SECOND, MINUTE], 100.5) == Refusal(limit=2, reset_seconds=1)
    assert windows.hit("app/op", [SECOND, MINUTE], 101.0) is None  # a new second-window
    # The minute-window holds 3 (the refused call was not counted), so the next is refused by it.
    assert windows.hit("app/op", [SECOND, MINUTE], 101.1) == Refusal(limit=3, reset_seconds=59)


def test_callers_have_windows_of_their_own_and_clear_empties_them(windows: Windows) -> None:
    for _ in range(2):
        assert windows.hit("a/op", [SECOND], 5.0) is None
    assert windows.hit("a/op", [SECOND], 5.0) is not None
    assert windows.hit("b/op", [SECOND], 5.0) is None
    windows.clear()
    assert windows.hit("a/op", [SECOND], 5.0) is None
