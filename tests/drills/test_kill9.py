"""kill -9 in the middle of a load of concurrent creates, restart on the same database: nothing answered
code 0 is lost or changed, nothing is stored twice, the file passes `PRAGMA integrity_check` (a smaller
run of benchmarks/drills/kill9.py; tests/mockserver's kill -9 test kills an idle server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.drills.kill9 import kill_round


@pytest.mark.slow
def test_kill_9_mid_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    for index in range(2):  # the second round kills a server that recovered from the first kill
        r = kill_round(db, index, threads=16, kill_after=1.0, logs=tmp_path, min_acknowledged=60)
        # The kill landed mid-load: creates had been acknowledged and others were cut off.
        assert len(r.acknowledged) > 50, r
        assert r.in_doubt, r
        assert r.refused == []
        assert r.missing == [], f"acknowledged but lost: {r.missing[:5]}"
        assert r.changed == [], f"stored with another user_id: {r.changed[:5]}"
        assert r.repeats_differing == 0
        assert r.duplicates == 0
        assert r.integrity == "ok"
        assert r.ok
