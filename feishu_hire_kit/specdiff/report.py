"""The report of a spec diff as text (grouped by operation, breaking first), JSON or a changelog entry,
and the semantic version it gives the generated package."""

from __future__ import annotations

import json
from itertools import groupby

from packaging.version import Version

from feishu_hire_kit.specdiff.changes import Change

WHOLE_SPEC = "(whole spec)"


def ordered(changes: list[Change]) -> list[Change]:
    """Grouped by operation (groups with breaking changes first), breaking first inside each group."""
    breaking_ops = {c.operation for c in changes if c.severity == "breaking"}

    def key(c: Change) -> tuple[bool, bool, str, bool, str, str]:
        return (
            c.operation not in breaking_ops,
            c.operation is None,
            c.operation or "",
            c.severity != "breaking",
            c.location,
            c.message,
        )

    return sorted(changes, key=key)


def summary(changes: list[Change]) -> str:
    breaking = sum(c.severity == "breaking" for c in changes)
    if not changes:
        return "no changes"
    return f"{breaking} breaking, {len(changes) - breaking} non-breaking change(s)"


def render_text(changes: list[Change]) -> str:
    lines = [summary(changes)]
    for operation, group in groupby(ordered(changes), key=lambda c: c.operation):
        lines += ["", operation or WHOLE_SPEC]
        for c in group:
            label = "BREAKING" if c.severity == "breaking" else "non-breaking"
            lines.append(f"  {label:<13} {c.message}  [{c.rule}]")
            lines.append(f"  {'':<13} at {c.location or '/'}")
            lines.append(f"  {'':<13} client code: {c.action}")
    return "\n".join(lines) + "\n"


def render_json(changes: list[Change]) -> str:
    return json.dumps([c.as_json() for c in ordered(changes)], ensure_ascii=False, indent=2) + "\n"


def render_markdown(version: str, changes: list[Change] | None, spec: str) -> str:
    """A changelog entry for `version`: the changes of the spec, breaking first (None: the first)."""
    if changes is None:
        return f"## {version}\n\nFirst generated from `{spec}`.\n"
    lines = [f"## {version}", "", f"Generated from `{spec}`: {summary(changes)}."]
    for severity, title in (("breaking", "Breaking"), ("non-breaking", "Non-breaking")):
        picked = [c for c in ordered(changes) if c.severity == severity]
        if picked:
            lines += ["", f"### {title}", ""]
            for c in picked:
                where = f"`{c.operation}`" if c.operation else WHOLE_SPEC
                action = f" Client code: {c.action}." if severity == "breaking" else ""
                lines.append(f"- {where}: {c.message} (`{c.location or '/'}`).{action}")
    return "\n".join(lines) + "\n"


def next_version(version: str, changes: list[Change]) -> str:
    """Semantic versioning from the report: breaking -> major, added surface -> minor, else patch;
    the same version when nothing changed."""
    if not changes:
        return version
    current = Version(version)
    bumps = {c.bump for c in changes}
    if "major" in bumps:
        return f"{current.major + 1}.0.0"
    if "minor" in bumps:
        return f"{current.major}.{current.minor + 1}.0"
    return f"{current.major}.{current.minor}.{current.micro + 1}"
