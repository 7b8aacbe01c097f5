"""The source trees a benchmark runs in turn: this checkout, and with `--against DIR` another (a commit
checked out there), so a machine whose speed drifts weighs on both alike; and a fresh, warmed-up server of
each, for one measured run."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks import servers, wrk
from benchmarks.load import WEBSITE_ID, fetch_token

# The concurrency of the warm-up, as of the runs the benchmarks measure.
WARM_UP_CONNECTIONS = 8


def add_arguments(parser: argparse.ArgumentParser, *, rounds: int, seconds: float) -> None:
    """`--rounds` and `--seconds` (with these defaults), `--mock-args` (flags for every `feishu-hire
    serve`) and `--against DIR`."""
    parser.add_argument("--rounds", type=int, default=rounds, help="runs of each tree, interleaved")
    parser.add_argument("--seconds", type=float, default=seconds, help="length of each measured run")
    parser.add_argument("--mock-args", default="", help="`feishu-hire serve` flags, e.g. '--workers 1'")
    parser.add_argument("--against", default=None, help="another source tree to run in turn with this one")


def chosen(args: argparse.Namespace) -> dict[str, str | None]:
    """{"this": None, "against": DIR}, or only "this" without `--against`."""
    trees: dict[str, str | None] = {"this": None}
    if args.against:
        trees["against"] = str(Path(args.against).resolve())
    return trees


def interleaved(args: argparse.Namespace) -> Iterator[tuple[int, str, str | None]]:
    """(round, tree's name, tree) for each tree of `chosen(args)` in turn, `args.rounds` rounds from 1."""
    trees = chosen(args)
    for round_no in range(1, args.rounds + 1):
        for name, tree in trees.items():
            yield round_no, name, tree


@contextlib.contextmanager
def fresh_mock(tree: str | None, mock_args: list[str]) -> Iterator[tuple[servers.Server, str]]:
    """`feishu-hire serve` of `tree` (None: this checkout) on a new database, rate limits off, warmed up
    by 1 s of creates: the server and a tenant token for the measured run."""
    env = None if tree is None else {**os.environ, "PYTHONPATH": tree}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        port = servers.free_port()
        argv = servers.mock_argv(port, Path(tmp) / "mock.db", "--no-rate-limits", *mock_args)
        with servers.running("mock", argv, port, env=env) as server:
            token = fetch_token(server.base_url)
            wrk.run(
                server.base_url, connections=WARM_UP_CONNECTIONS, seconds=1, token=token,
                website_id=WEBSITE_ID, prefix=f"warm-{port}",
            )  # fmt: skip
            yield server, token
