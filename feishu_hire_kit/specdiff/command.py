"""`feishu-hire diff OLD NEW`: the report between two specs; exit 0 (nothing breaking), 1 (something
breaking) or 2 (an input cannot be read or is not a valid OpenAPI document)."""

from __future__ import annotations

import argparse
import sys

from feishu_hire_kit.specdiff import SpecLoadError, diff, is_breaking, load, render_json, render_text


def run(args: argparse.Namespace) -> int:
    try:
        changes = diff(load(args.old), load(args.new))
    except SpecLoadError as exc:
        print(f"feishu-hire diff: {exc}", file=sys.stderr)
        return 2
    print(render_json(changes) if args.format == "json" else render_text(changes), end="")
    return 1 if is_breaking(changes) else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed between two specs, breaking first (exit 1 when something is breaking)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("old", help="the old spec: a file, or REV:PATH from git (e.g. HEAD:spec/hire.yaml)")
    p.add_argument("new", help="the new spec: a file, or REV:PATH from git")
    p.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or a JSON list")
    p.set_defaults(func=run)
