"""The arithmetic of `benchmarks.hosts_load`'s report."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.hosts_load import (
    Row,
    flanked_ratio,
    logged_since,
    median_row,
    round_order,
    sized_workers,
    split,
)


def row(requests_per_s: float, p99_ms: float = 10.0, failures: int = 0) -> Row:
    return Row("x", int(requests_per_s * 5), requests_per_s, p99_ms / 2, p99_ms, failures)


def test_a_run_is_compared_with_the_mean_of_the_prism_runs_beside_it() -> None:
    assert flanked_ratio(row(3000), row(1000), row(2000)) == 2.0
    assert flanked_ratio(row(1500), row(1500), row(1500)) == 1.0


def test_the_median_row_is_the_run_of_median_req_s_with_its_own_latencies_and_every_failure() -> None:
    runs = [row(900, p99_ms=30, failures=1), row(1200, p99_ms=12), row(1100, p99_ms=20, failures=2)]
    middle = median_row("host", runs)
    assert (middle.name, middle.requests_per_s, middle.p99_ms) == ("host", 1100, 20)
    assert middle.failures == 3
    assert middle.requests == sum(r.requests for r in runs)


def test_connections_are_shared_as_evenly_as_can_be() -> None:
    assert split(8, 3) == [3, 3, 2]
    assert split(8, 1) == [8]
    assert sum(split(7, 2)) == 7


@pytest.mark.parametrize(("cores", "sized"), [(2, [3, 1, 1]), (4, [5, 2, 1]), (8, [9, 4, 3])])
def test_hosts_sharing_the_machine_share_the_workers_serve_starts_on_postgresql(
    cores: int, sized: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mockserver.cli.cores", lambda: cores)
    assert [sized_workers(hosts) for hosts in (1, 2, 3)] == sized


@pytest.mark.parametrize("count", [1, 2, 3, 5, 6])
def test_over_its_rounds_each_configuration_follows_each_other_one_equally_often(count: int) -> None:
    rounds = count if count % 2 == 0 else 2 * count
    orders = [round_order(count, turn) for turn in range(rounds)]
    assert all(sorted(order) == list(range(count)) for order in orders)
    follows = Counter((a, b) for order in orders for a, b in itertools.pairwise(order))
    pairs = [(a, b) for a in range(count) for b in range(count) if a != b]
    assert sorted(follows) == sorted(pairs)
    assert len(set(follows.values())) <= 1  # every ordered pair the same number of times
    places = Counter((place, i) for order in orders for place, i in enumerate(order))
    assert len(places) == count * count
    assert len(set(places.values())) == 1


def test_only_what_the_servers_logged_during_the_runs_is_reported(tmp_path: Path) -> None:
    quiet, loud = tmp_path / "x2" / "host-0.log", tmp_path / "x2" / "host-1.log"
    quiet.parent.mkdir()
    for log in (quiet, loud):
        log.write_text("Feishu Hire mock serving on http://127.0.0.1:1\n  base URL: ...\n")
    sizes = {log: log.stat().st_size for log in (quiet, loud)}
    with loud.open("a") as appended:
        appended.write("PostgreSQL refused a statement (40P01 DeadlockDetected: deadlock detected)\n")
        appended.write("journal entries are not being written: \u7f51 \xff\n")
    said = logged_since(sizes, tmp_path)
    assert said == {
        "x2/host-1.log": [
            "PostgreSQL refused a statement (40P01 DeadlockDetected: deadlock detected)",
            "journal entries are not being written: \u7f51 \xff",
        ]
    }
