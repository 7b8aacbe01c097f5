"""Regenerates generated/ from spec/ with the pinned openapi-python-client, or checks that it matches.

The generator always writes into a fresh temporary folder outside the repository, with ruff run in
`--isolated` mode, so no config file of ours can change what it produces: the same spec gives the
same bytes on every machine.

Beside the package, the output folder holds `spec.lock.yaml` (the spec it was made from and the
package's version) and `CHANGELOG.md`: a regeneration reports the spec's changes since the lock
(`feishu_hire_kit.specdiff`), moves the version by semantic versioning and adds a changelog entry.
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

import yaml
from packaging.requirements import Requirement

from feishu_hire_kit import specdiff
from feishu_hire_kit.spec import spec_path

PACKAGE = "feishu_hire_client"
GENERATOR = "openapi-python-client"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ruff_cache")
LOCK = "spec.lock.yaml"
CHANGELOG = "CHANGELOG.md"
FIRST_VERSION = "1.0.0"


class CodegenError(RuntimeError):
    """The generator could not run as pinned, or failed."""


def repo_root() -> Path:
    """The checkout holding this package (an editable install), or else site-packages."""
    return Path(__file__).resolve().parent.parent


def _is_checkout(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    return (
        (folder / "spec" / "hire.yaml").is_file()
        and pyproject.is_file()
        and ('name = "feishu-hire-kit"' in pyproject.read_text(encoding="utf-8"))
    )


def find_checkout(start: Path | None = None) -> Path | None:
    """The feishu-hire-kit checkout around `start` (default: the current folder), else the one this
    package is installed from (editable install); None for a wheel used outside a checkout."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents, repo_root()):
        if _is_checkout(folder):
            return folder
    return None


def _checkout() -> Path:
    found = find_checkout()
    if found is None:
        raise CodegenError(
            "not inside a feishu-hire-kit checkout: run it there, or name the spec and the output "
            "folder: feishu-hire generate --spec PATH --out DIR"
        )
    return found


def generated_dir() -> Path:
    return _checkout() / "generated"


def default_spec() -> Path:
    return _checkout() / "spec" / "hire.yaml"


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
            raise CodegenError(f"{name}=={wanted} is not installed: {_install_hint()}") from None
        if installed != wanted:
            raise CodegenError(
                f"{name} {installed} is installed, but generated/ is made with {wanted}: {_install_hint()}"
            )


def _install_hint() -> str:
    pins = " ".join(f"'{n}=={v}'" for n, v in sorted(pinned_generator_versions().items()))
    return f"install the pins into the environment of {sys.executable}: pip install {pins}"


def render(into: Path, spec: Path | None = None) -> Path:
    """Runs the generator on `spec` (default: the checkout's spec/hire.yaml); returns the folder
    holding the fresh `feishu_hire_client` package."""
    _check_pins()
    spec = (spec or default_spec()).resolve()
    config = spec.with_name("generator-config.yaml")
    config = config if config.is_file() else spec_path().with_name("generator-config.yaml")
    # The templates make the kit's typed client (RaisingClient overloads): the kit's own, for any spec.
    templates = spec_path().with_name("generator-templates")
    out = into / PACKAGE
    env = dict(os.environ)
    # The generator's post hooks call `ruff`: make it the pinned one beside this interpreter.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(spec),
        "--config", str(config),
        "--custom-template-path", str(templates),
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

    ignore = ["__pycache__", ".ruff_cache", LOCK, CHANGELOG]
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


def generate(target: Path | None = None, spec: Path | None = None) -> Regeneration:
    """Replaces the package in `target` (generated/) with exactly what `spec` produces, records the
    spec and the new version in its lock and adds a changelog entry for the spec's changes."""
    target = target or generated_dir()
    spec = spec or default_spec()
    new = specdiff.load(str(spec))
    lock = read_lock(target)
    with tempfile.TemporaryDirectory(prefix="feishu-hire-gen-") as tmp:
        fresh = render(Path(tmp), spec)
        if (target / PACKAGE).exists():
            shutil.rmtree(target / PACKAGE)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(fresh / PACKAGE, target / PACKAGE, ignore=IGNORED)
    changes = None if lock is None else specdiff.diff(lock.document, new)
    version = FIRST_VERSION if lock is None else specdiff.next_version(lock.version, changes or [])
    write_lock(target, version, new.raw)
    if lock is None or changes:
        _add_changelog_entry(target, version, changes, spec)
    return Regeneration(spec, target, lock.version if lock else None, version, changes)


def check(target: Path | None = None, spec: Path | None = None) -> list[Difference]:
    """The files of `target` (generated/) that differ from what `spec` produces, and its lock when it
    records another spec; empty when in sync."""
    target = target or generated_dir()
    spec = spec or default_spec()
    with tempfile.TemporaryDirectory(prefix="feishu-hire-gen-") as tmp:
        fresh = render(Path(tmp), spec)
        found = compare(fresh, target)
    lock = read_lock(target)
    if lock is None:
        return [*found, Difference("missing", LOCK)]
    changes = specdiff.diff(lock.document, specdiff.load(str(spec)))
    if changes:
        found.append(Difference("stale", LOCK, specdiff.render_text(changes)))
    return found


@dataclass(frozen=True)
class Lock:
    version: str
    document: specdiff.Document


@dataclass(frozen=True)
class Regeneration:
    spec: Path
    target: Path
    old_version: str | None  # None: the folder had no lock (first generation)
    version: str
    changes: list[specdiff.Change] | None  # None: nothing to compare with


def read_lock(target: Path) -> Lock | None:
    path = target / LOCK
    if not path.is_file():
        return None
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Lock(str(raw["version"]), specdiff.from_raw(raw["spec"], str(path), validate=False))


def write_lock(target: Path, version: str, document: dict[str, object]) -> None:
    header = (
        "# Written by `feishu-hire generate`, never by hand: the spec this folder was made from and the\n"
        "# version it gave the package. The next `generate` reports the spec's changes since this one.\n"
    )
    body = yaml.safe_dump(
        {"version": version, "spec": document}, sort_keys=False, allow_unicode=True, width=100
    )
    (target / LOCK).write_text(header + body, encoding="utf-8")


def _add_changelog_entry(
    target: Path, version: str, changes: list[specdiff.Change] | None, spec: Path
) -> None:
    path = target / CHANGELOG
    title = (
        "# Changelog of feishu_hire_client\n\nWritten by `feishu-hire generate` from the spec's changes.\n"
    )
    old = path.read_text(encoding="utf-8") if path.is_file() else title
    head, _, rest = old.partition("\n## ")
    entry = specdiff.render_markdown(version, changes, spec.name)
    path.write_text(head.rstrip("\n") + "\n\n" + entry + ("\n## " + rest if rest else ""), encoding="utf-8")
