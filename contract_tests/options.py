"""The options that choose the suite's target: one table, read by pytest (conftest.py) and by
`feishu-hire contract` (cli.py), which passes them through to pytest unchanged."""

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
    ("--app-id", {"default": None, "help": "app id on the target (default: the mock seed's)"}),
    ("--app-secret", {"default": None, "help": "app secret on the target"}),
    # --website-id, --talent-id, --job-id, ...: one per resource kind of the spec.
    *(
        (
            f"--{kind}-id",
            {"action": "append", "default": [], "help": f"a {kind} id of a URL target (repeatable)"},
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
)


def dest(flag: str) -> str:
    """The attribute a flag parses into, as argparse and pytest name it."""
    return flag.removeprefix("--").replace("-", "_")


def as_argv(values: dict[str, Any]) -> list[str]:
    """The target options of parsed `values` (by `dest`) as a command line, in the table's order."""
    argv: list[str] = []
    for flag, _ in TARGET_OPTIONS:
        value = values.get(dest(flag))
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                argv += [flag, item]
    return argv
