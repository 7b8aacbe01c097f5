"""The source trees a benchmark runs in turn: this checkout, and with `--against DIR` another (a commit
checked out there), so a machine whose speed drifts weighs on both alike."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--mock-args` (flags for every `feishu-hire serve`) and `--against DIR`."""
    parser.add_argument("--mock-args", default="", help="`feishu-hire serve` flags, e.g. '--workers 1'")
    parser.add_argument("--against", default=None, help="another source tree to run in turn with this one")


def chosen(args: argparse.Namespace) -> dict[str, str | None]:
    """{"this": None, "against": DIR}, or only "this" without `--against`."""
    trees: dict[str, str | None] = {"this": None}
    if args.against:
        trees["against"] = str(Path(args.against).resolve())
    return trees


def environment(tree: str | None) -> dict[str, str] | None:
    """The environment a server of `tree` runs in: the tree first on PYTHONPATH (None: this checkout's)."""
    return None if tree is None else {**os.environ, "PYTHONPATH": tree}
