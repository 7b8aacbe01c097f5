"""`feishu-hire`: the kit's one command. `generate` (regenerate or check the client); later parts
add their own subcommands through `register` functions so this module stays a thin dispatcher."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeAlias

from feishu_hire_kit import codegen


def _generate(args: argparse.Namespace) -> int:
    try:
        if not args.check:
            codegen.generate(args.target)
            print(f"{args.target or 'generated/'} regenerated from spec/hire.yaml")
            return 0
        differences = codegen.check(args.target)
    except codegen.CodegenError as exc:
        print(f"feishu-hire generate: {exc}", file=sys.stderr)
        return 2
    if not differences:
        print("generated/ matches spec/hire.yaml")
        return 0
    print(
        f"generated/ differs from what spec/hire.yaml produces ({len(differences)} file(s)); "
        "run `feishu-hire generate` and commit the result:",
        file=sys.stderr,
    )
    for d in differences:
        print(f"  {d.kind}: generated/{d.path}", file=sys.stderr)
    for d in differences[:3]:
        if d.diff:
            print(d.diff[:2000], file=sys.stderr)
    return 1


def _add_generate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("generate", help="regenerate generated/ from spec/ (pinned openapi-python-client)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 naming the files that differ")
    p.add_argument(
        "--target", type=Path, default=None, help="the folder to write or check (default: generated/)"
    )
    p.set_defaults(func=_generate)


Registrar: TypeAlias = "Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]"


def _registrars() -> list[Registrar]:
    found: list[Registrar] = [_add_generate]
    # Subcommands of the other parts, imported lazily so `generate` works without their deps loaded.
    for module_name in ("mockserver.cli", "contract_tests.cli"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.append(module.register)
    return found


def _version() -> str:
    try:
        return importlib.metadata.version("feishu-hire-kit")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feishu-hire", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
