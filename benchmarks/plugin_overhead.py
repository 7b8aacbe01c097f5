"""What the pytest plugin's fresh state costs each test: `feishu_mock` and `feishu_mock_server` next to a
bare test, in one pytest run.

    .venv/bin/python -m benchmarks.plugin_overhead [--tests 60]

A generated test module holds `--tests` bare tests, as many taking `feishu_mock` and as many taking
`feishu_mock_server`, interleaved (bare, in-process, server, bare, ...) so machine noise hits all
three alike. The test bodies are empty: a fixture renews the state whether or not a test used it. A
test's time is its setup, call and teardown as pytest reports them; the overhead is the median test's
time less the median bare test's. The first test of each fixture (which builds the app, or starts the
server) is reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import pytest

from benchmarks.drills.common import reproduce

KINDS = ("bare", "feishu_mock", "feishu_mock_server")
TEST = "def test_{n:04d}_{kind}({fixture}):\n    pass\n"


class Durations:
    """Setup + call + teardown seconds of every test, by kind, in the order they ran."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self._current: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._current[report.nodeid] = self._current.get(report.nodeid, 0.0) + report.duration
        if report.when == "teardown":
            kind = next(k for k in reversed(KINDS) if report.nodeid.endswith(k))
            self.by_kind[kind].append(self._current.pop(report.nodeid))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=60, help="tests of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plugin-overhead-") as tmp:
        module = Path(tmp) / "test_overhead.py"
        module.write_text(
            "\n".join(
                TEST.format(n=n * len(KINDS) + i, kind=kind, fixture="" if kind == "bare" else kind)
                for n in range(args.tests)
                for i, kind in enumerate(KINDS)
            ),
            encoding="utf-8",
        )
        durations = Durations()
        code = pytest.main(
            [str(module), "-q", "-p", "no:cacheprovider", "--rootdir", tmp, "-o", "addopts="],
            plugins=[durations],
        )
        if code != 0:
            sys.exit(f"the generated tests failed (pytest exit {code})")
    bare = statistics.median(durations.by_kind["bare"])
    print(f"\nper test, median of {args.tests} (setup + call + teardown); machine shared with other work")
    print(f"{'fixture':<20}{'first ms':>10}{'median ms':>11}{'overhead ms':>13}")
    for kind in KINDS:
        times = durations.by_kind[kind]
        median = statistics.median(times[1:])
        print(f"{kind:<20}{times[0] * 1000:>10.2f}{median * 1000:>11.2f}{(median - bare) * 1000:>13.2f}")
    print(f"reproduce: {reproduce('benchmarks.plugin_overhead')}")


if __name__ == "__main__":
    main()
