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

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

# Options passed through to the suite's pytest options of the same name (see conftest.py).
_REPEATABLE = ("website_id", "talent_id", "job_id", "user")


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line for parsed `contract` arguments."""
    argv = [str(Path(__file__).parent), "--target", args.target]
    for name in ("app_id", "app_secret"):
        value = getattr(args, name)
        if value is not None:
            argv += [f"--{name.replace('_', '-')}", value]
    for name in _REPEATABLE:
        for value in getattr(args, name):
            argv += [f"--{name.replace('_', '-')}", value]
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
    p.add_argument("--target", default="mock", help="mock (default), inprocess, http, or a base URL")
    p.add_argument("--app-id", help="the app's id on the target (default: the mock seed's)")
    p.add_argument("--app-secret", help="the app's secret on the target")
    p.add_argument("--website-id", action="append", default=[], help="a website on the target (repeatable)")
    p.add_argument("--talent-id", action="append", default=[], help="a talent on the target (repeatable)")
    p.add_argument("--job-id", action="append", default=[], help="a job on the target (repeatable)")
    p.add_argument(
        "--user",
        action="append",
        default=[],
        help="open_id=…,union_id=…,user_id=… or an open_id (repeatable)",
    )
    p.add_argument(
        "--profile", choices=["ci", "dev", "deep"], help="hypothesis profile (default: ci if CI=true)"
    )
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest")
    p.set_defaults(func=_contract)
