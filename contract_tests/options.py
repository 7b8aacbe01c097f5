"""The options that choose the suite's target and what it may do there: one table, read by pytest
(conftest.py) and by `feishu-hire contract` (cli.py), which passes them through to pytest unchanged."""

from __future__ import annotations

from typing import Any

from feishu_hire_kit.resources import resource_kinds

TARGET_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "--target",
        {
            "default": "mock",
            "help": "mock (in-process and over HTTP, default), inprocess, http, or any server's base URL",
        },
    ),
    (
        "--app-id",
        {
            "default": None,
            "help": "app id on a URL target (required there; the mock targets use their seed's)",
        },
    ),
    ("--app-secret", {"default": None, "help": "app secret on a URL target (required with --app-id)"}),
    # --website-id, --talent-id, --job-id, ...: one per resource kind of the spec.
    *(
        (
            f"--{kind}-id",
            {
                "action": "append",
                "default": [],
                "help": f"a {kind} id of a URL target (repeatable; default: the spec's example ids)",
            },
        )
        for kind in resource_kinds()
    ),
    (
        "--user",
        {
            "action": "append",
            "default": [],
            "help": "a user of the target: open_id=…,union_id=…,user_id=… or a bare open_id (repeatable)",
        },
    ),
    (
        "--allow-control-plane",
        {
            "action": "store_true",
            "default": False,
            "help": "let the control-plane tests drive a URL target's /mock-api/ (its clock and faults, "
            "shared by everyone on it); off by default: they are skipped there unless the target scopes "
            "them to the caller's own tenant",
        },
    ),
    (
        "--admin-token",
        {
            "default": None,
            "help": "the target's /mock-api/ admin token, with --allow-control-plane off loopback",
        },
    ),
)


def dest(flag: str) -> str:
    """The attribute a flag parses into, as argparse and pytest name it."""
    return flag.removeprefix("--").replace("-", "_")


def as_argv(values: dict[str, Any]) -> list[str]:
    """The target options of parsed `values` (by `dest`) as a command line, in the table's order."""
    argv: list[str] = []
    for flag, _ in TARGET_OPTIONS:
        value = values.get(dest(flag))
        if value is True:
            argv.append(flag)
            continue
        for item in value if isinstance(value, list) else [value]:
            if item is not None and item is not False:
                argv += [flag, item]
    return argv
