"""The shared journal file (`FileJournal`): every process's appends in one order, rotation that keeps the
last `keep` entries, clearing seen by all. Two instances on one path are two processes here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.journal import FileJournal


def _entry(n: int, path: str = "/p") -> dict[str, object]:
    return {"method": "POST", "path": path, "status": 200, "code": 0, "log_id": f"L{n}", "time": n + 0.5}


@pytest.fixture
def two(tmp_path: Path) -> Iterator[list[FileJournal]]:
    journals = [FileJournal(tmp_path / "m.db.requests"), FileJournal(tmp_path / "m.db.requests")]
    yield journals
    for j in journals:
        j.close()


def test_appends_of_every_writer_read_back_in_order(two: list[FileJournal]) -> None:
    for n in range(20):
        two[n % 3 % 2].record(_entry(n), keep=100)
    for j in two:
        assert j.journal(100) == [_entry(n) for n in range(20)]
    assert two[0].journal(5) == [_entry(n) for n in range(15, 20)]


def test_rotation_keeps_the_last_entries_and_writers_follow_it(
    two: list[FileJournal], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FileJournal, "CHECK_EVERY", 7)
    monkeypatch.setattr(FileJournal, "MIN_ENTRY_BYTES", 10)
    for n in range(1000):
        two[n % 2].record(_entry(n), keep=50)
    for j in two:
        assert j.journal(50) == [_entry(n) for n in range(950, 1000)]
    # Two files at most, each short of a few checks past `keep`: old entries are gone.
    files = sorted(p.name for p in two[0].path.parent.iterdir() if p.name.startswith("m.db.requests"))
    assert files == [
        "m.db.requests",
        "m.db.requests.1",
        "m.db.requests.generation",
        "m.db.requests.lock",
    ]
    lines = len(two[0].path.read_bytes().splitlines()) + len(two[0].older.read_bytes().splitlines())
    assert 50 <= lines <= 2 * (50 + 2 * 7)


def test_clearing_is_seen_by_every_writer(two: list[FileJournal]) -> None:
    two[0].record(_entry(1), keep=100)
    two[1].record(_entry(2), keep=100)
    two[1].clear_journal()
    assert two[0].journal(100) == []
    two[0].record(_entry(3), keep=100)
    two[1].record(_entry(4), keep=100)
    assert two[1].journal(100) == [_entry(3), _entry(4)]


def test_any_text_reads_back(two: list[FileJournal]) -> None:
    odd = ["/招聘?x=1", "/\ud800", "/a\nb", '/"q"']
    for n, path in enumerate(odd):
        two[0].record(_entry(n, path), keep=100)
    assert [e["path"] for e in two[1].journal(100)] == odd


def test_an_entry_is_one_append(two: list[FileJournal], monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[int] = []
    real_write = os.write

    def counting(fd: int, data: bytes) -> int:
        writes.append(fd)
        return real_write(fd, data)

    two[0].record(_entry(0), keep=100)  # opens the file
    monkeypatch.setattr(os, "write", counting)
    two[0].record(_entry(1), keep=100)
    assert len(writes) == 1
