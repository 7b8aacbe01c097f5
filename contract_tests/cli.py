"""`feishu-hire contract`: runs the contract suite (pytest on this package) against one target.

    feishu-hire contract                                   # the local mock, in-process and over HTTP
    feishu-hire contract --target http://127.0.0.1:8080 --app-id cli_x --app-secret s
    feishu-hire contract --target https://open.feishu.cn --app-id … --app-secret … \\
        --website-id … --talent-id … --job-id … --user open_id=ou_…,union_id=on_…,user_id=…
    feishu-hire contract --profile deep -- -k stateful     # anything after -- goes to pytest
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from contract_tests.options import TARGET_OPTIONS, as_argv

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line for parsed `contract` arguments."""
    argv = [str(Path(__file__).parent), *as_argv(vars(args))]
    extra: list[str] = args.pytest_args
    return argv + (extra[1:] if extra[:1] == ["--"] else extra)


def _contract(args: argparse.Namespace) -> int:
    # A fresh interpreter: this one has imported the kit already, which pytest could not assert-rewrite.
    env = {**os.environ, **({"HYPOTHESIS_PROFILE": args.profile} if args.profile else {})}
    return subprocess.call([sys.executable, "-m", "pytest", *pytest_args(args)], env=env)


def register(sub: SubParsers) -> None:
    p = sub.add_parser(
        "contract",
        help="run the contract tests against the mock (default) or any server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, options in TARGET_OPTIONS:
        p.add_argument(flag, **options)
    p.add_argument(
        "--profile", choices=["ci", "dev", "deep"], help="hypothesis profile (default: ci if CI=true)"
    )
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest")
    p.set_defaults(func=_contract)
