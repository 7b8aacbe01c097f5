"""Regenerates generated/ from spec/ with the pinned openapi-python-client, or checks that it matches.

The generator always writes into a fresh temporary folder outside the repository, with ruff run in
`--isolated` mode, so no config file of ours can change what it produces: the same spec gives the
same bytes on every machine.
"""

from __future__ import annotations

import difflib
import filecmp
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from feishu_hire_kit.spec import spec_path

PACKAGE = "feishu_hire_client"
GENERATOR = "openapi-python-client"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ruff_cache")


class CodegenError(RuntimeError):
    """The generator could not run as pinned, or failed."""


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def generated_dir() -> Path:
    return repo_root() / "generated"


def pinned_generator_versions() -> dict[str, str]:
    """The `generate` extra's exact pins (from the installed metadata, i.e. from pyproject.toml)."""
    pins: dict[str, str] = {}
    for line in importlib.metadata.requires("feishu-hire-kit") or []:
        req = Requirement(line)
        if req.marker is not None and req.marker.evaluate({"extra": "generate"}):
            specs = list(req.specifier)
            if len(specs) == 1 and specs[0].operator == "==":
                pins[req.name] = specs[0].version
    return pins


def _check_pins() -> None:
    for name, wanted in pinned_generator_versions().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise CodegenError(f"{name}=={wanted} is not installed: pip install -e '.[generate]'") from None
        if installed != wanted:
            raise CodegenError(f"{name} {installed} is installed, but generated/ is made with {wanted}")


def render(into: Path) -> Path:
    """Runs the generator; returns the folder holding the fresh `feishu_hire_client` package."""
    _check_pins()
    spec = spec_path()
    out = into / PACKAGE
    env = dict(os.environ)
    # The generator's post hooks call `ruff`: make it the pinned one beside this interpreter.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(spec),
        "--config", str(spec.with_name("generator-config.yaml")),
        "--custom-template-path", str(spec.with_name("generator-templates")),
        "--meta", "none",
        "--fail-on-warning",
        "--output-path", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=into, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.is_dir():
        raise CodegenError(f"{GENERATOR} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return into


@dataclass(frozen=True)
class Difference:
    kind: str  # "changed", "missing" (the spec makes it, generated/ lacks it) or "unexpected"
    path: str
    diff: str = ""


def compare(fresh: Path, current: Path) -> list[Difference]:
    """Every file that differs between a fresh render and generated/, sorted by path."""
    found: list[Difference] = []

    def walk(cmp: filecmp.dircmp[str], rel: Path) -> None:
        for name in cmp.left_only:
            found.append(Difference("missing", str(rel / name)))
        for name in cmp.right_only:
            found.append(Difference("unexpected", str(rel / name)))
        for name in cmp.diff_files + cmp.funny_files:
            left, right = Path(cmp.left) / name, Path(cmp.right) / name
            diff = "".join(
                difflib.unified_diff(
                    right.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True),
                    left.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True),
                    fromfile=f"generated/{rel / name}",
                    tofile=f"spec -> {rel / name}",
                    n=1,
                )
            )
            found.append(Difference("changed", str(rel / name), diff))
        for name, sub in sorted(cmp.subdirs.items()):
            walk(sub, rel / name)

    ignore = ["__pycache__", ".ruff_cache"]
    current.mkdir(parents=True, exist_ok=True)
    # shallow=False: compare contents, never trust size and mtime.
    filecmp.clear_cache()
    cmp = filecmp.dircmp(str(fresh), str(current), ignore=ignore)
    _deep(cmp)
    walk(cmp, Path())
    return sorted(found, key=lambda d: d.path)


def _deep(cmp: filecmp.dircmp[str]) -> None:
    """dircmp compares shallowly (size + mtime); redo the comparison byte by byte."""
    same, diff, funny = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
    cmp.same_files, cmp.diff_files, cmp.funny_files = same, diff, funny
    for sub in cmp.subdirs.values():
        _deep(sub)


def generate(target: Path | None = None) -> None:
    """Replaces `target` (generated/) with exactly what the spec produces."""
    target = target or generated_dir()
    with tempfile.TemporaryDirectory(prefix="feishu-hire-gen-") as tmp:
        fresh = render(Path(tmp))
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(fresh, target, ignore=IGNORED)


def check(target: Path | None = None) -> list[Difference]:
    """The files of `target` (generated/) that differ from what the spec produces; empty when in sync."""
    target = target or generated_dir()
    with tempfile.TemporaryDirectory(prefix="feishu-hire-gen-") as tmp:
        fresh = render(Path(tmp))
        return compare(fresh, target)
