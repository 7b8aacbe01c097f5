"""`feishu-hire contract`: runs the contract suite (pytest on this package) against one target.

    feishu-hire contract                                   # the local mock, in-process and over HTTP
    feishu-hire contract --target http://127.0.0.1:8080 --app-id cli_x --app-secret s
    feishu-hire contract --target https://open.feishu.cn --app-id … --app-secret … \\
        --website-id … --talent-id … --job-id … --user open_id=ou_…,union_id=on_…,user_id=…
    feishu-hire contract --profile deep -- -k stateful     # anything after -- goes to pytest

A URL target must take the app's credentials before anything runs (one token request, 5 s at most).
The suite never resets or re-seeds a target; its control-plane tests (clock, faults) run on the mock
targets it starts itself, inside your tenant where a target scopes /mock-api/ to tenants, and on other
targets only with --allow-control-plane.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from contract_tests.options import TARGET_OPTIONS, as_argv
from contract_tests.preflight import PreflightError, tenant_token
from contract_tests.targets import is_url

USAGE_ERROR = 4  # pytest's exit status for a command line it cannot run

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line for parsed `contract` arguments."""
    argv = [str(Path(__file__).parent), *as_argv(vars(args))]
    extra: list[str] = args.pytest_args
    return argv + (extra[1:] if extra[:1] == ["--"] else extra)


def _contract(args: argparse.Namespace) -> int:
    if is_url(args.target):  # here too: pytest itself takes seconds to start
        try:
            tenant_token(args.target, args.app_id, args.app_secret)
        except PreflightError as exc:
            print(f"feishu-hire contract: {exc}", file=sys.stderr)
            return USAGE_ERROR
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
        "--profile",
        choices=["ci", "dev", "deep"],
        help="hypothesis profile: ci (12 examples a test, derandomized), dev (25) or deep (200); default: ci "
        "if CI=true, else dev",
    )
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest")
    p.set_defaults(func=_contract)
