"""The contract suite on many hypothesis seeds in a row: not flaky means every seed passes.

    .venv/bin/python -m benchmarks.drills.contract_seeds [--seeds 200] [--first-seed 1] [--target mock]
        [--profile seeded] [-- PYTEST_ARGS]

Run i is `pytest contract_tests --target TARGET -x --hypothesis-seed=FIRST+i` with HYPOTHESIS_PROFILE
set (`seeded`: the CI profile's sizes, but random under the given seed; `ci` itself is derandomized and
would ignore it). Stops at the first failing seed and prints the command that replays it; at the end, how
many seeds passed and how long runs took. The suite starts its own mocks on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import contract_tests
from benchmarks.drills.common import reproduce

SUITE = str(Path(contract_tests.__file__).parent)
RUN_TIMEOUT = 1800  # seconds: a hang guard per run, far above any profile's total


def suite_command(target: str, seed: int, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "pytest", SUITE, "--target", target, "-x", "-q", "-p", "no:cacheprovider",
        f"--hypothesis-seed={seed}", *extra,
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contract_seeds", description=__doc__)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--target", default="mock", help="mock (default), inprocess or http")
    parser.add_argument("--profile", default="seeded")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest")
    args = parser.parse_args(argv)
    extra = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
    env = {**os.environ, "HYPOTHESIS_PROFILE": args.profile}
    env.pop("CI", None)  # CI=true would not change the profile (set above), but keep the runs alike
    durations: list[float] = []
    passed = 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        command = suite_command(args.target, seed, extra)
        started = time.monotonic()
        run = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT, check=False
        )
        durations.append(time.monotonic() - started)
        summary = (run.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"seed {seed}: exit {run.returncode} in {durations[-1]:.0f} s: {summary}", flush=True)
        if run.returncode != 0:
            print(run.stdout[-4000:], run.stderr[-2000:], sep="\n")
            print(f"FAILED on seed {seed}; replay: HYPOTHESIS_PROFILE={args.profile} {shlex.join(command)}")
            break
        passed += 1
    print(
        f"{passed} of {args.seeds} seeds passed in a row, from seed {args.first_seed}; "
        f"per run: median {statistics.median(durations):.0f} s, max {max(durations):.0f} s, "
        f"total {sum(durations) / 60:.1f} min; machine shared with other engineers' jobs"
    )
    print(f"reproduce: {reproduce('benchmarks.drills.contract_seeds')}")
    return 0 if passed == args.seeds else 1


if __name__ == "__main__":
    sys.exit(main())
