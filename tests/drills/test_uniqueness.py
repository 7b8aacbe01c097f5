"""Exactly one user under 64 concurrent creates of one external_id, three server processes, one database
(the stronger version of tests/mockserver's 2-process test; the drill is benchmarks/drills/uniqueness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.drills.common import integrity_check, mock_servers
from benchmarks.drills.uniqueness import race

PROCESSES = 3
CONCURRENCY = 64


@pytest.mark.slow
def test_64_concurrent_creates_over_3_processes_make_one_user(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    with mock_servers(db, PROCESSES, "--no-rate-limits") as started:
        urls = [s.base_url for s in started]
        rounds = [race(urls, db, f"race-{i}", CONCURRENCY) for i in range(3)]
    for r in rounds:
        assert len(r.answers) == CONCURRENCY
        assert r.codes == {0}, [a for a in r.answers if a.code != 0][:3]
        assert len(r.rows) == 1, r.rows
        # Every caller got the one stored user unchanged, whichever name it sent.
        assert {(a.user_id, a.name) for a in r.answers} == set(r.rows)
        assert r.one_user
    assert integrity_check(db) == "ok"
