"""One reported change between two specs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from feishu_hire_kit.specdiff.rules import RULES, Bump, Severity


@dataclass(frozen=True)
class Change:
    """A change, found by the rule `rule`, at `location` (a JSON pointer into the new spec, or into the
    old one for something the new spec no longer has)."""

    rule: str
    operation: str | None  # the operationId, None for document-wide changes
    location: str
    message: str
    old_location: str | None = None
    new_location: str | None = None

    @property
    def severity(self) -> Severity:
        return RULES[self.rule].severity

    @property
    def bump(self) -> Bump:
        return RULES[self.rule].bump

    @property
    def action(self) -> str:
        return RULES[self.rule].action

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "operation": self.operation,
            "location": self.location,
            "message": self.message,
            "rule": self.rule,
            "action": self.action,
            **{k: v for k, v in asdict(self).items() if k in ("old_location", "new_location")},
        }


def is_breaking(changes: list[Change]) -> bool:
    return any(c.severity == "breaking" for c in changes)
