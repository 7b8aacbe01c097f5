"""The labelled mutations of tests/specdiff/corpus.yaml, applied to copies of spec/hire.yaml."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
import yaml

from feishu_hire_kit.codegen import find_checkout

CORPUS = Path(__file__).with_name("corpus.yaml")


@dataclass(frozen=True)
class Mutation:
    id: str
    rule: str
    severity: str
    operation: str | None  # the operation the change is reported under; "*" when not labelled
    old: dict[str, Any]
    new: dict[str, Any]


def _expand(patch: list[dict[str, Any]], aliases: dict[str, str]) -> list[dict[str, Any]]:
    expanded = []
    for written in patch:
        op = dict(written)
        for key in ("path", "from"):
            if key in op:
                head, sep, tail = str(op[key]).partition("/")
                op[key] = aliases[head] + sep + tail if head in aliases else op[key]
        expanded.append(op)
    return expanded


@functools.cache
def spec() -> dict[str, Any]:
    checkout = find_checkout(Path(__file__).parent)
    assert checkout is not None
    loaded: dict[str, Any] = yaml.safe_load((checkout / "spec" / "hire.yaml").read_text(encoding="utf-8"))
    return loaded


def mutations() -> list[Mutation]:
    raw = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    found = []
    for entry in raw["mutations"]:
        old = jsonpatch.apply_patch(spec(), _expand(entry.get("base", []), raw["aliases"]))
        new = jsonpatch.apply_patch(copy.deepcopy(old), _expand(entry["patch"], raw["aliases"]))
        operation = entry.get("operation", "*")
        found.append(Mutation(entry["id"], entry["rule"], entry["severity"], operation, old, new))
    return found
