"""Rate limiter accuracy on real time against a real server: a 3 s burst on site_users (10/s) and
external_info (50/s) at once; admitted per window is the limit, or one short, never more (the 10 s
figure is benchmarks/drills/ratelimit.py; tests/mockserver's rate tests run on a frozen clock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.drills.common import mock_servers
from benchmarks.drills.ratelimit import burst, report, windows


@pytest.mark.slow
def test_admitted_per_window_is_the_limit_or_one_short(tmp_path: Path) -> None:
    with mock_servers(tmp_path / "mock.db", 1) as (server,):
        results = burst(server.base_url, seconds=3)
    for r in results:
        assert len(r.counts) >= 2, report(results, 3)
        assert r.refused > 0, report(results, 3)  # the burst did go over the limit
        assert r.other == [], report(results, 3)
        assert max(r.counts) <= r.target.limit, report(results, 3)
        assert min(r.counts) >= r.target.limit - 1, report(results, 3)
        assert r.accurate


def test_windows_are_rebuilt_from_admission_times() -> None:
    # A window starts at its first admission and lasts 1 s; one still open when the burst ends is left out.
    admitted = [1.5, 0.0, 0.1, 0.9, 1.0, 2.2]
    assert [len(w) for w in windows(admitted, burst_end=2.5)] == [3, 2]
    assert [len(w) for w in windows(admitted, burst_end=3.2)] == [3, 2, 1]
    assert windows([], burst_end=1.0) == []
