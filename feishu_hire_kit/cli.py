"""`feishu-hire`: the kit's one command. `generate` (regenerate or check the client); later parts
add their own subcommands through `register` functions so this module stays a thin dispatcher."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeAlias

from feishu_hire_kit import codegen, specdiff
from feishu_hire_kit.specdiff import command as specdiff_command


def _generate(args: argparse.Namespace) -> int:
    try:
        if not args.check:
            done = codegen.generate(args.out, args.spec)
            _print_regeneration(done)
            return 0
        out = args.out or codegen.generated_dir()
        spec = args.spec or codegen.default_spec()
        differences = codegen.check(out, spec)
    except (codegen.CodegenError, specdiff.SpecLoadError) as exc:
        print(f"feishu-hire generate: {exc}", file=sys.stderr)
        return 2
    if not differences:
        print(f"{_shown(out)} matches {_shown(spec)}")
        return 0
    print(
        f"{_shown(out)} differs from what {_shown(spec)} produces ({len(differences)} file(s)); "
        "run `feishu-hire generate` and commit the result:",
        file=sys.stderr,
    )
    for d in differences:
        print(f"  {d.kind}: {out.name}/{d.path}", file=sys.stderr)
    for d in differences[:3]:
        if d.diff:
            print(d.diff[:2000], file=sys.stderr)
    return 1


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is below it, else absolute."""
    path = path.resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _print_regeneration(done: codegen.Regeneration) -> None:
    if done.changes is None:
        print(f"no {codegen.LOCK} in {_shown(done.target)}: nothing to compare with (first generation)")
    else:
        print(f"spec changes since {_shown(done.target)} was last generated:")
        print(specdiff.render_text(done.changes))
    moved = (
        "unchanged"
        if done.old_version == done.version
        else f"{done.old_version or '(none)'} -> {done.version}"
    )
    print(f"{codegen.PACKAGE} version: {moved}; changes listed in {_shown(done.target / codegen.CHANGELOG)}")
    print(f"{_shown(done.target)} regenerated from {_shown(done.spec)}")


def _add_generate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "generate",
        help="regenerate generated/ from spec/ (pinned openapi-python-client), reporting the spec's changes",
    )
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 naming the files that differ")
    p.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="the spec to generate from (default: the checkout's spec/hire.yaml)",
    )
    p.add_argument(
        "--out",
        "--target",
        dest="out",
        type=Path,
        default=None,
        help="the folder to write or check (default: the checkout's generated/)",
    )
    p.set_defaults(func=_generate)


Registrar: TypeAlias = "Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]"


def _registrars() -> list[Registrar]:
    found: list[Registrar] = [_add_generate, specdiff_command.register]
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
